package agentapi_test

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/loopdesk/loopdesk/agentapi"
	"github.com/loopdesk/loopdesk/ticketcore"
)

func TestListPassesFiltersAndSort(t *testing.T) {
	h := newHarness(t, agentapi.Config{})
	h.fake.list = []ticketcore.Ticket{h.fake.tickets["T-000001"]}
	h.fake.next = "T-000001"
	rec := h.do("GET", "/api/v1/tickets?status=new,open&priority=urgent&contact=C-000001&contact=C-000002,C-000003"+
		"&sort=queue&limit=20&q=%E9%80%80%E6%AC%BE&group=after_sales", vicToken, nil)
	want(t, rec, http.StatusOK, "")
	ans := decode[struct {
		Tickets    []ticketcore.Ticket `json:"tickets"`
		NextCursor *string             `json:"next_cursor"`
	}](t, rec)
	if len(ans.Tickets) != 1 || ans.Tickets[0].ID != "T-000001" || ans.NextCursor == nil || *ans.NextCursor != "T-000001" {
		t.Fatalf("answer %+v", ans)
	}
	got := h.fake.callsTo("Tickets")[0].Args[0].(ticketcore.TicketQuery)
	wantQ := ticketcore.TicketQuery{Status: []string{"new", "open"}, Priority: []string{"urgent"},
		Group: []string{"after_sales"}, Contact: []string{"C-000001", "C-000002", "C-000003"},
		Text: "退款", Limit: 20, Sort: ticketcore.SortQueue}
	if !reflect.DeepEqual(got, wantQ) {
		t.Fatalf("query\n%+v, want\n%+v", got, wantQ)
	}
}

func TestListDefaultsToNewestAndAnswersEmptyLists(t *testing.T) {
	h := newHarness(t, agentapi.Config{})
	rec := h.do("GET", "/api/v1/tickets", vicToken, nil)
	want(t, rec, http.StatusOK, "")
	if body := rec.Body.String(); body != `{"tickets":[],"next_cursor":null}`+"\n" {
		t.Fatalf("body %s", body)
	}
	if q := h.fake.callsTo("Tickets")[0].Args[0].(ticketcore.TicketQuery); q.Sort != ticketcore.SortNewest {
		t.Fatalf("sort %q, want newest", q.Sort)
	}
	h.do("GET", "/api/v1/tickets?sort=newest", vicToken, nil)
	if q := h.fake.callsTo("Tickets")[1].Args[0].(ticketcore.TicketQuery); q.Sort != ticketcore.SortNewest {
		t.Fatalf("sort %q, want newest", q.Sort)
	}
}

func TestListRefusesBadFilters(t *testing.T) {
	for _, query := range []string{"sort=oldest", "sort=QUEUE", "contact=王芳", "contact=C-1", "limit=0",
		"limit=ten", "cursor=abc"} {
		t.Run(query, func(t *testing.T) {
			h := newHarness(t, agentapi.Config{})
			want(t, h.do("GET", "/api/v1/tickets?"+query, vicToken, nil), http.StatusBadRequest, "invalid_request")
			if len(h.fake.allCalls()) != 0 {
				t.Fatal("a refused list reached the core")
			}
		})
	}
}

func TestGetAnswersTheTicketWithTimeline(t *testing.T) {
	h := newHarness(t, agentapi.Config{})
	rec := h.do("GET", "/api/v1/tickets/T-000001", vicToken, nil)
	want(t, rec, http.StatusOK, "")
	got := decode[ticketcore.Ticket](t, rec)
	if got.ID != "T-000001" || got.Requester.Name != "王芳" || len(got.Timeline) != 1 {
		t.Fatalf("ticket %+v", got)
	}
	want(t, h.do("GET", "/api/v1/tickets/T-000099", vicToken, nil), http.StatusNotFound, "not_found")
}

func TestPatchPassesBreachReason(t *testing.T) {
	h := newHarness(t, agentapi.Config{})
	rec := h.do("PATCH", "/api/v1/tickets/T-000001", aliceToken,
		`{"status":"solved","breach_reason":"快递停运，春节期间无法揽收"}`)
	want(t, rec, http.StatusOK, "")
	c := h.fake.callsTo("Change")[0]
	p := c.Args[2].(ticketcore.Patch)
	if c.Args[0] != "T-000001" || c.Args[1] != "alice" || *p.Status != "solved" ||
		p.BreachReason == nil || *p.BreachReason != "快递停运，春节期间无法揽收" {
		t.Fatalf("call %v", c.Args)
	}
	if got := decode[ticketcore.Ticket](t, rec); got.ID != "T-000001" || len(got.Timeline) == 0 {
		t.Fatalf("answer %+v", got)
	}
}

func TestPatchRefusals(t *testing.T) {
	h := newHarness(t, agentapi.Config{})
	want(t, h.do("PATCH", "/api/v1/tickets/T-000001", aliceToken, `{"statuz":"solved"}`), http.StatusBadRequest, "invalid_json")
	want(t, h.do("PATCH", "/api/v1/tickets/T-000001", aliceToken, `{"status":`), http.StatusBadRequest, "invalid_json")
	noWrites(t, h.fake)

	h.fake.errs["Change"] = ticketcore.ErrIncomplete
	want(t, h.do("PATCH", "/api/v1/tickets/T-000001", aliceToken, `{"status":"solved"}`),
		http.StatusUnprocessableEntity, "incomplete")
}

func TestReplyAndNote(t *testing.T) {
	h := newHarness(t, agentapi.Config{})
	rec := h.do("POST", "/api/v1/tickets/T-000001/replies", aliceToken, `{"text":"您好，退款已提交，预计1-3个工作日到账"}`)
	want(t, rec, http.StatusCreated, "")
	if e := decode[ticketcore.Entry](t, rec); e.Type != "reply" || e.By != "alice" || e.Delivery != "pending" {
		t.Fatalf("entry %+v", e)
	}
	rec = h.do("POST", "/api/v1/tickets/T-000001/notes", aliceToken, `{"text":"@bob 请核对退款金额"}`)
	want(t, rec, http.StatusCreated, "")
	if e := decode[ticketcore.Entry](t, rec); e.Type != "note" {
		t.Fatalf("entry %+v", e)
	}
	want(t, h.do("POST", "/api/v1/tickets/T-000001/notes", aliceToken, `{"text":"  "}`), http.StatusBadRequest, "missing_text")
	if n := len(h.fake.callsTo("Note")); n != 1 {
		t.Fatalf("%d notes, want 1", n)
	}
}
