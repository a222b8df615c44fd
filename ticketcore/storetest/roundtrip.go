package storetest

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/ticketcore"
	"github.com/loopdesk/loopdesk/ticketcore/sla"
)

// The round trips store a ticket and a contact with every field set and
// read them back. Each fixture is checked to leave no field unset, so a
// field added to Ticket or Contact fails these tests until the fixture
// sets it, and with it every store that would drop it.

// cst is a zone other than the one stores keep, for times that must come
// back as the same instant.
var cst = time.FixedZone("CST", 8*60*60)

// fullTicket sets every field of a Ticket but those a store assigns (ID)
// or does not keep (Timeline).
func fullTicket() ticketcore.Ticket {
	return ticketcore.Ticket{
		Status: ticketcore.StatusOpen, Priority: "high", Intent: "refund",
		Fields:  map[string]string{"order_id": "2026112500012345", "amount": "99.50"},
		Channel: channels.API, Thread: "user-full",
		Requester: channels.Party{ID: "user-full", Name: "王芳", Phone: "13800138000", Email: "wang@example.com", Verified: true},
		Assignee:  "li.lei", Group: "billing", Tags: []string{"vip", "refund"},
		Subject: "退款还没到账", Lang: "zh",
		CreatedAt: t0, UpdatedAt: t0.Add(90 * time.Minute).In(cst), SolvedAt: t0.Add(time.Hour),
		ContactID: "C-000007", Type: "refund", Stage: "review",
		SLA: &sla.State{Policy: "vip", Calendar: "cn-workdays", Targets: []sla.Target{{
			Name: sla.FirstResponse, Budget: time.Hour, Used: 5 * time.Minute,
			Since: t0.Add(time.Minute), Due: t0.Add(56 * time.Minute), Warned: []float64{0.5, 0.8},
			MetAt: t0.Add(30 * time.Minute), BreachedAt: t0.Add(2 * time.Hour).In(cst),
		}}},
		DueAt: t0.Add(56 * time.Minute), Breached: true, BreachReason: "carrier outage", Waiting: 2,
		Escalated: []string{"first_response@0.5"},
		Links:     []ticketcore.Link{{Type: ticketcore.LinkChild, TicketID: "T-000009"}},
		Conversations: []ticketcore.Conversation{{Channel: channels.Email, Thread: "<c9@example.com>",
			Requester: channels.Party{ID: "li@example.com", Name: "李雷", Phone: "13900139000", Email: "li@example.com", Verified: true},
			ContactID: "C-000008", From: "T-000009"}},
		MergedInto: "T-000011", PreMergeStatus: ticketcore.StatusPending, FollowUpOf: "T-000003",
		Reading: &ticketcore.Reading{Extractor: "llm", Confidence: 0.9, Fallback: "llm_timeout",
			Fields: map[string]ticketcore.FieldSource{"order_id": {Extractor: "rules", Confidence: 1}}},
		Missing: []string{"phone"},
		Summary: &ticketcore.Summary{Text: "客户要求退款，已提供订单号。", At: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), Messages: 7},
	}
}

// fullContact sets every field of a Contact but its ID.
func fullContact() ticketcore.Contact {
	return ticketcore.Contact{
		Name: "王芳",
		Identities: []ticketcore.Identity{{Channel: channels.API, ID: "u-wang"},
			{Channel: "wecom", ID: "wm-wang"}, {Channel: "miniprogram-union", ID: "o-union-wang"}},
		Phones: []string{"13800138000"}, Emails: []string{"wang@example.com", "fang@example.org"},
		Tier: "vip", Region: "华东", Tags: []string{"wholesale", "beta"},
		Attrs:     map[string]string{"crm_id": "A-1001", "city": "杭州"},
		CreatedAt: t0, UpdatedAt: t0.Add(time.Hour).In(cst),
	}
}

// unsetFields names the exported fields of v, at any depth, that hold
// their zero value, an empty list or map, or a nil pointer; skip names
// top-level fields that may be unset.
func unsetFields(v any, skip ...string) []string {
	var out []string
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		if tm, ok := v.Interface().(time.Time); ok {
			if tm.IsZero() {
				out = append(out, path)
			}
			return
		}
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() {
				out = append(out, path)
				return
			}
			walk(path, v.Elem())
		case reflect.Struct:
			for i := range v.NumField() {
				f := v.Type().Field(i)
				if f.IsExported() && (path != "" || !slices.Contains(skip, f.Name)) {
					walk(path+"."+f.Name, v.Field(i))
				}
			}
		case reflect.Slice, reflect.Map:
			if v.Len() == 0 {
				out = append(out, path)
			}
			if v.Kind() == reflect.Slice {
				for i := range v.Len() {
					walk(path+"[]", v.Index(i))
				}
			}
		default:
			if v.IsZero() {
				out = append(out, path)
			}
		}
	}
	walk("", reflect.ValueOf(v))
	return out
}

func testTicketAllFields(t *testing.T, h Harness) {
	full := fullTicket()
	if unset := unsetFields(full, "ID", "Timeline"); len(unset) > 0 {
		t.Fatalf("fullTicket leaves %v unset: set them so the round trip covers them", unset)
	}
	s := h.Open(t)
	created := createTickets(t, s, full)[0]
	changed := fullTicket()
	changed.ID, changed.Stage, changed.Waiting = created.ID, "payout", 3
	changed.Links = append(changed.Links, ticketcore.Link{Type: ticketcore.LinkRelated, TicketID: "T-000012"})
	view(t, s, func(tx ticketcore.ReadTx) error {
		got, err := tx.Ticket(created.ID)
		sameJSON(t, "created ticket", created, got)
		return err
	})
	update(t, s, func(tx ticketcore.Tx) error { return tx.UpdateTicket(changed) })
	view(t, s, func(tx ticketcore.ReadTx) error {
		got, err := tx.Ticket(created.ID)
		sameJSON(t, "updated ticket", changed, got)
		for _, sort := range []string{ticketcore.SortNewest, ticketcore.SortQueue} {
			listed, _, err := tx.Tickets(ticketcore.TicketQuery{Sort: sort})
			if err != nil {
				return err
			}
			sameJSON(t, "tickets listed by "+sort, []ticketcore.Ticket{changed}, listed)
		}
		return err
	})
}

func testContactAllFields(t *testing.T, h Harness) {
	full := fullContact()
	if unset := unsetFields(full, "ID"); len(unset) > 0 {
		t.Fatalf("fullContact leaves %v unset: set them so the round trip covers them", unset)
	}
	s := h.Open(t)
	created := createContacts(t, s, full)[0]
	changed := created
	changed.Attrs = map[string]string{"crm_id": "A-1002"}
	changed.Tier, changed.UpdatedAt = "standard", t0.Add(2*time.Hour)
	for _, step := range []struct {
		what string
		want ticketcore.Contact
	}{{"created", created}, {"updated", changed}} {
		if step.what == "updated" {
			update(t, s, func(tx ticketcore.Tx) error { return tx.UpdateContact(changed) })
		}
		view(t, s, func(tx ticketcore.ReadTx) error {
			got, err := tx.Contact(created.ID)
			sameJSON(t, step.what+" contact", step.want, got)
			found, _ := tx.FindContact(ticketcore.ContactKey{Phone: "13800138000"})
			sameJSON(t, step.what+" contact found by phone", step.want, found)
			listed, _, _ := tx.Contacts(ticketcore.ContactQuery{})
			sameJSON(t, step.what+" contact listed", []ticketcore.Contact{step.want}, listed)
			return err
		})
	}
}
