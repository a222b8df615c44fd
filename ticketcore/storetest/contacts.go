package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/ticketcore"
)

func byID(channel, id string) ticketcore.ContactKey {
	return ticketcore.ContactKey{Identity: ticketcore.Identity{Channel: channel, ID: id}}
}

func byPhone(phone string) ticketcore.ContactKey { return ticketcore.ContactKey{Phone: phone} }
func byEmail(email string) ticketcore.ContactKey { return ticketcore.ContactKey{Email: email} }

// contact is a contact known by keys.
func contact(name string, keys ...ticketcore.ContactKey) ticketcore.Contact {
	c := ticketcore.Contact{Name: name, CreatedAt: t0, UpdatedAt: t0}
	for _, k := range keys {
		switch {
		case k.Phone != "":
			c.Phones = append(c.Phones, k.Phone)
		case k.Email != "":
			c.Emails = append(c.Emails, k.Email)
		default:
			c.Identities = append(c.Identities, k.Identity)
		}
	}
	return c
}

// createContacts stores cs in one transaction and returns them with ids.
func createContacts(t *testing.T, s ticketcore.Store, cs ...ticketcore.Contact) []ticketcore.Contact {
	t.Helper()
	var out []ticketcore.Contact
	update(t, s, func(tx ticketcore.Tx) error {
		out = out[:0]
		for _, c := range cs {
			if err := tx.CreateContact(&c); err != nil {
				return err
			}
			out = append(out, c)
		}
		return nil
	})
	return out
}

// findContact is the id of the contact key finds, "" for none.
func findContact(t *testing.T, tx ticketcore.ReadTx, key ticketcore.ContactKey) string {
	t.Helper()
	c, err := tx.FindContact(key)
	if errors.Is(err, ticketcore.ErrNotFound) {
		return ""
	}
	if err != nil {
		t.Errorf("FindContact(%+v): %v", key, err)
	}
	return c.ID
}

// expectFound checks the contact each key finds ("" for none).
func expectFound(t *testing.T, s ticketcore.Store, step string, want map[ticketcore.ContactKey]string) {
	t.Helper()
	view(t, s, func(tx ticketcore.ReadTx) error {
		for key, id := range want {
			if got := findContact(t, tx, key); got != id {
				t.Errorf("%s: FindContact(%+v) = %q, want %q", step, key, got, id)
			}
		}
		return nil
	})
}

func testContacts(t *testing.T, h Harness) {
	s := h.Open(t)
	li := contact("李雷", byID(channels.Email, "li@example.com"), byEmail("li@example.com"),
		byID("sms", "13800138000"))
	cs := createContacts(t, s, fullContact(), li)
	expectIDs(t, "contact ids", ids(cs, contactIDOf), "C-000001", "C-000002")
	expectFound(t, s, "created", map[ticketcore.ContactKey]string{
		byID(channels.API, "u-wang"): "C-000001", byID("wecom", "wm-wang"): "C-000001",
		byID("miniprogram-union", "o-union-wang"): "C-000001", byPhone("13800138000"): "C-000001",
		byEmail("wang@example.com"): "C-000001", byEmail("fang@example.org"): "C-000001",
		byID(channels.Email, "li@example.com"): "C-000002", byEmail("li@example.com"): "C-000002",
		// An identity is not a phone, though the digits are the same.
		byID("sms", "13800138000"): "C-000002",
		// Nor is an identity another channel's of the same id.
		byID(channels.Email, "u-wang"): "",
		byID(channels.API, "u-li"):     "",
		byPhone("13900139000"):         "",
		byEmail("nobody@example.com"):  "",
	})
	view(t, s, func(tx ticketcore.ReadTx) error {
		got, err := tx.Contact(cs[1].ID)
		sameJSON(t, "Contact", cs[1], got)
		for _, id := range []string{"C-000099", "nonsense", "T-000001", ""} {
			_, err := tx.Contact(id)
			wantErrIs(t, fmt.Sprintf("Contact(%q)", id), err, ticketcore.ErrNotFound)
		}
		for what, key := range map[string]ticketcore.ContactKey{
			"no key":          {},
			"phone and email": {Phone: "13800138000", Email: "wang@example.com"},
			"identity and phone": {Identity: ticketcore.Identity{Channel: channels.API, ID: "u-wang"},
				Phone: "13800138000"},
		} {
			_, err := tx.FindContact(key)
			wantErrIs(t, "FindContact with "+what, err, ticketcore.ErrInvalid)
		}
		return err
	})
}

// testContactConflicts: an identity, phone or email belongs to one
// contact. A write that would give it to a second is refused and writes
// nothing at all, even when the fn goes on and commits.
func testContactConflicts(t *testing.T, h Harness) {
	s := h.Open(t)
	cs := createContacts(t, s, contact("a", byID(channels.API, "u-a"), byPhone("13800000001"), byEmail("a@example.com")),
		contact("b", byID(channels.API, "u-b")))
	a, b := cs[0], cs[1]
	fresh := byEmail("fresh@example.com")
	for _, taken := range []ticketcore.ContactKey{byID(channels.API, "u-a"), byPhone("13800000001"), byEmail("a@example.com")} {
		what := fmt.Sprintf("%+v of another contact", taken)
		update(t, s, func(tx ticketcore.Tx) error {
			c := contact("c", fresh, taken)
			wantErrIs(t, "CreateContact with "+what, tx.CreateContact(&c), ticketcore.ErrConflict)
			grown := contact("b", byID(channels.API, "u-b"), fresh, taken)
			grown.ID = b.ID
			wantErrIs(t, "UpdateContact taking "+what, tx.UpdateContact(grown), ticketcore.ErrConflict)
			if id := findContact(t, tx, fresh); id != "" {
				t.Errorf("%s: the refused write indexed %+v to %q", what, fresh, id)
			}
			if id := findContact(t, tx, taken); id != a.ID {
				t.Errorf("%s: FindContact = %q, want %s", what, id, a.ID)
			}
			got, err := tx.Contact(b.ID)
			sameJSON(t, "contact after a refused update", b, got)
			return err
		})
	}
	if c := createContacts(t, s, contact("d", fresh))[0]; c.ID != "C-000003" {
		t.Errorf("contact after refused creations is %s, want C-000003: a refused contact takes no id", c.ID)
	}
	err := s.Update(ctx, func(tx ticketcore.Tx) error {
		x, y := contact("x", byPhone("13800000009")), contact("y", byPhone("13800000009"))
		if err := tx.CreateContact(&x); err != nil {
			return err
		}
		return tx.CreateContact(&y)
	})
	wantErrIs(t, "two new contacts with one phone in one transaction", err, ticketcore.ErrConflict)
	twice := contact("e", byPhone("13800000005"), byPhone("13800000005"), byID(channels.API, "u-e"))
	e := createContacts(t, s, twice)[0]
	update(t, s, func(tx ticketcore.Tx) error { return tx.UpdateContact(e) }) // its own keys are no conflict
	expectFound(t, s, "a phone listed twice", map[ticketcore.ContactKey]string{byPhone("13800000005"): e.ID})
}

func testContactUpdate(t *testing.T, h Harness) {
	s := h.Open(t)
	a := createContacts(t, s, contact("a", byID(channels.API, "u-a"), byID("wecom", "wm-a"),
		byPhone("13800000001"), byEmail("a@example.com")))[0]
	changed := contact("a2", byID(channels.API, "u-a"), byID("miniprogram", "o-a"),
		byPhone("13800000002"), byEmail("a@example.com"), byEmail("a2@example.com"))
	changed.ID, changed.UpdatedAt = a.ID, t0.Add(time.Hour)
	update(t, s, func(tx ticketcore.Tx) error { return tx.UpdateContact(changed) })
	view(t, s, func(tx ticketcore.ReadTx) error {
		got, err := tx.Contact(a.ID)
		sameJSON(t, "updated contact", changed, got)
		return err
	})
	expectFound(t, s, "updated", map[ticketcore.ContactKey]string{
		byID(channels.API, "u-a"): a.ID, byID("miniprogram", "o-a"): a.ID, byPhone("13800000002"): a.ID,
		byEmail("a@example.com"): a.ID, byEmail("a2@example.com"): a.ID,
		byID("wecom", "wm-a"): "", byPhone("13800000001"): "",
	})
	b := createContacts(t, s, contact("b", byID("wecom", "wm-a"), byPhone("13800000001")))[0]
	expectFound(t, s, "keys given up, taken by another", map[ticketcore.ContactKey]string{
		byID("wecom", "wm-a"): b.ID, byPhone("13800000001"): b.ID, byID(channels.API, "u-a"): a.ID,
	})
	for _, id := range []string{"C-000099", "nonsense", ""} {
		missing := contact("m")
		missing.ID = id
		err := s.Update(ctx, func(tx ticketcore.Tx) error { return tx.UpdateContact(missing) })
		wantErrIs(t, fmt.Sprintf("UpdateContact(%q)", id), err, ticketcore.ErrNotFound)
	}
}

func testContactDelete(t *testing.T, h Harness) {
	s := h.Open(t)
	cs := createContacts(t, s, contact("a", byID(channels.API, "u-a"), byPhone("13800000001")),
		contact("b", byID(channels.API, "u-b"), byEmail("b@example.com")),
		contact("c", byID(channels.API, "u-c")))
	a, b, c := cs[0], cs[1], cs[2]
	update(t, s, func(tx ticketcore.Tx) error { return tx.DeleteContact(b.ID) })
	expectFound(t, s, "deleted", map[ticketcore.ContactKey]string{
		byID(channels.API, "u-b"): "", byEmail("b@example.com"): "", byID(channels.API, "u-a"): a.ID,
	})
	view(t, s, func(tx ticketcore.ReadTx) error {
		_, err := tx.Contact(b.ID)
		wantErrIs(t, "deleted contact", err, ticketcore.ErrNotFound)
		listed, _, err := tx.Contacts(ticketcore.ContactQuery{})
		expectIDs(t, "contacts after a delete", ids(listed, contactIDOf), c.ID, a.ID)
		return err
	})
	for _, id := range []string{b.ID, "C-000099", "nonsense"} {
		err := s.Update(ctx, func(tx ticketcore.Tx) error { return tx.DeleteContact(id) })
		wantErrIs(t, fmt.Sprintf("DeleteContact(%q)", id), err, ticketcore.ErrNotFound)
	}
	// Merging c into a: c gives its identities up (by its deletion) before
	// a takes them, in one transaction.
	merged := a
	merged.Identities = append(slices.Clone(a.Identities), c.Identities...)
	update(t, s, func(tx ticketcore.Tx) error {
		wantErrIs(t, "UpdateContact taking the identity of a contact not yet deleted",
			tx.UpdateContact(merged), ticketcore.ErrConflict)
		if err := tx.DeleteContact(c.ID); err != nil {
			return err
		}
		return tx.UpdateContact(merged)
	})
	expectFound(t, s, "merged", map[ticketcore.ContactKey]string{
		byID(channels.API, "u-c"): a.ID, byID(channels.API, "u-a"): a.ID, byPhone("13800000001"): a.ID,
	})
	if d := createContacts(t, s, contact("d"))[0]; d.ID != "C-000004" {
		t.Errorf("contact after deletions is %s, want C-000004: ids are not given again", d.ID)
	}
}

// listContacts creates 23 contacts with varied names, regions and tags,
// and returns them newest first.
func listContacts(t *testing.T, s ticketcore.Store) []ticketcore.Contact {
	var all []ticketcore.Contact
	for batch := range 3 {
		var cs []ticketcore.Contact
		for i := batch * 8; i < min(batch*8+8, 23); i++ {
			c := contact(fmt.Sprintf("客户 %02d", i), byID(channels.API, fmt.Sprintf("user-%02d", i)),
				byPhone(fmt.Sprintf("138%08d", i)))
			if i%5 == 0 {
				c.Tags = []string{"VIP"}
			}
			if i%3 == 0 {
				c.Region = "华东"
			}
			cs = append(cs, c)
		}
		all = append(all, createContacts(t, s, cs...)...)
	}
	slices.Reverse(all)
	return all
}

// walkContacts lists every page of q and checks the paging rules on the way.
func walkContacts(t *testing.T, s ticketcore.Store, q ticketcore.ContactQuery) []string {
	t.Helper()
	var out []string
	for page := 0; ; page++ {
		var got []ticketcore.Contact
		var next string
		view(t, s, func(tx ticketcore.ReadTx) error {
			var err error
			got, next, err = tx.Contacts(q)
			return err
		})
		if len(got) > q.PageSize() {
			t.Fatalf("page %d has %d contacts, limit %d", page, len(got), q.PageSize())
		}
		if page > 0 && len(got) == 0 {
			t.Errorf("page %d is empty: the page before it should have had no next", page)
		}
		out = append(out, ids(got, contactIDOf)...)
		if next == "" {
			return out
		}
		if len(got) == 0 || page > 100 {
			t.Fatalf("page %d: %d contacts and next %q", page, len(got), next)
		}
		q.Cursor = next
	}
}

func testContactList(t *testing.T, h Harness) {
	s := h.Open(t)
	all := listContacts(t, s)
	for _, limit := range []int{0, 1, 5, 23, 200} {
		if got, want := walkContacts(t, s, ticketcore.ContactQuery{Limit: limit}), ids(all, contactIDOf); !sameIDs(got, want) {
			t.Errorf("limit %d: listed %v, want %v", limit, got, want)
		}
	}
	for _, q := range []ticketcore.ContactQuery{
		{Text: "user-07"},
		{Text: "vip", Limit: 2},
		{Text: "华东", Limit: 3},
		{Text: "13800000012"},
		{Text: "客户 1", Limit: 5}, // 10 matches: the last page is full
		{Text: "nobody"},
	} {
		var want []string
		for _, c := range all {
			if q.Match(c) {
				want = append(want, c.ID)
			}
		}
		if got := walkContacts(t, s, q); !sameIDs(got, want) {
			t.Errorf("%+v: listed %v, want %v", q, got, want)
		}
	}
}

func testContactValidation(t *testing.T, h Harness) {
	s := h.Open(t)
	good := createContacts(t, s, contact("good", byID(channels.API, "u-good")))[0]
	for what, c := range map[string]ticketcore.Contact{
		"NUL in an identity's channel": contact("x", byID("api\x00x", "u")),
		"NUL in an identity's id":      contact("x", byID(channels.API, "u\x00v")),
		"NUL in a phone":               contact("x", byPhone("138\x00")),
		"NUL in an email":              contact("x", byEmail("x\x00@example.com")),
		"an identity without id":       contact("x", byID(channels.API, "")),
		"an identity without channel":  contact("x", byID("", "u")),
		"an empty phone":               {Name: "x", Phones: []string{""}},
		"an empty email":               {Name: "x", Emails: []string{""}},
	} {
		err := s.Update(ctx, func(tx ticketcore.Tx) error { return tx.CreateContact(&c) })
		wantErrIs(t, "CreateContact with "+what, err, ticketcore.ErrInvalid)
		c.ID = good.ID
		err = s.Update(ctx, func(tx ticketcore.Tx) error { return tx.UpdateContact(c) })
		wantErrIs(t, "UpdateContact with "+what, err, ticketcore.ErrInvalid)
	}
	err := s.View(ctx, func(tx ticketcore.ReadTx) error {
		_, err := tx.FindContact(byID(channels.API, "a\x00b"))
		return err
	})
	wantErrIs(t, "FindContact with NUL in an identity", err, ticketcore.ErrInvalid)
	expectFound(t, s, "after refused writes", map[ticketcore.ContactKey]string{byID(channels.API, "u-good"): good.ID})
}
