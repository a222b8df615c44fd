// Package storetest is the conformance suite every ticketcore.Store passes
// (the embedded bbolt store, the PostgreSQL store). A store is correct when
// Run passes under -race.
//
// Tests never wait on time: claims take explicit now values, and concurrent
// tests only start goroutines together and wait for all of them.
//
// It imports only ticketcore (with its sla data types), channels and the
// standard library (testing among them); never a store: stores import it
// from their tests.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/ticketcore"
)

// Harness gives the suite fresh stores.
type Harness struct {
	// Open returns a new, empty store for one test and closes it when the
	// test ends (t.Cleanup); that close must tolerate a store the suite
	// has closed already.
	Open func(t *testing.T) ticketcore.Store
	// Reopen returns a new store on the data of s, which the suite has
	// closed, and closes it when the test ends. Nil skips the tests of
	// durability across Close.
	Reopen func(t *testing.T, s ticketcore.Store) ticketcore.Store
}

// Run runs every conformance test as a subtest of t.
func Run(t *testing.T, h Harness) {
	tests := []struct {
		name string
		run  func(*testing.T, Harness)
	}{
		{"Messages", testMessages},
		{"MessageValidation", testValidation},
		{"ConcurrentDedupe", testConcurrentDedupe},
		{"Conversation", testConversation},
		{"LastFiledMessage", testLastFiledMessage},
		{"Meta", testMeta},
		{"MetaRange", testMetaRange},
		{"DeleteMeta", testDeleteMeta},
		{"TicketIDsConcurrent", testTicketIDsConcurrent},
		{"TicketIDsGapFree", testTicketIDsGapFree},
		{"TicketReadWrite", testTicketReadWrite},
		{"TicketAllFields", testTicketAllFields},
		{"Timeline", testTimeline},
		{"ActiveTicket", testActiveTicket},
		{"ActiveConversations", testActiveConversations},
		{"OpenTickets", testOpenTickets},
		{"TicketList", testTicketList},
		{"TicketListFilters", testTicketListFilters},
		{"QueueOrder", testQueueOrder},
		{"QueueCursor", testQueueCursor},
		{"TicketSortInvalid", testTicketSortInvalid},
		{"Contacts", testContacts},
		{"ContactAllFields", testContactAllFields},
		{"ContactConflicts", testContactConflicts},
		{"ContactUpdate", testContactUpdate},
		{"ContactDelete", testContactDelete},
		{"ContactList", testContactList},
		{"ContactValidation", testContactValidation},
		{"InboxClaims", testInboxClaims},
		{"OutboxClaims", testOutboxClaims},
		{"OutboxReschedule", testOutboxReschedule},
		{"TimerClaims", testTimerClaims},
		{"Stats", testStats},
		{"UpdateRollback", testUpdateRollback},
		{"ReadOwnWrites", testReadOwnWrites},
		{"FailingFnInBatch", testFailingFnInBatch},
		{"PanicInFn", testPanicInFn},
		{"CancelledContext", testCancelledContext},
		{"Durability", testDurability},
		{"Close", testClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, h) })
	}
}

// t0 is the suite's clock; every time is an offset from it.
var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

var ctx = context.Background()

// errBoom is what failing fns return.
var errBoom = errors.New("boom")

func update(t *testing.T, s ticketcore.Store, fn func(ticketcore.Tx) error) {
	t.Helper()
	if err := s.Update(ctx, fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func view(t *testing.T, s ticketcore.Store, fn func(ticketcore.ReadTx) error) {
	t.Helper()
	if err := s.View(ctx, fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// together runs fn(0..n-1) on n goroutines released at once and returns
// their errors by index.
func together(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func inbound(ext, thread, text string) ticketcore.Message {
	return ticketcore.Message{Channel: channels.API, ExternalID: ext, Thread: thread,
		Direction: channels.In, From: channels.Party{ID: thread, Name: "王芳"}, Text: text, At: t0}
}

func outbound(thread, text string) ticketcore.Message {
	return ticketcore.Message{Channel: channels.API, Thread: thread, Direction: channels.Out,
		To: channels.Party{ID: thread}, Text: text, At: t0, Kind: "reply",
		Delivery: channels.DeliveryPending}
}

// addMessages stores msgs in one transaction and returns them with ids.
func addMessages(t *testing.T, s ticketcore.Store, msgs ...ticketcore.Message) []ticketcore.Message {
	t.Helper()
	var out []ticketcore.Message
	update(t, s, func(tx ticketcore.Tx) error {
		out = out[:0]
		for _, m := range msgs {
			if err := tx.AddMessage(&m); err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	return out
}

func createTickets(t *testing.T, s ticketcore.Store, ts ...ticketcore.Ticket) []ticketcore.Ticket {
	t.Helper()
	var out []ticketcore.Ticket
	update(t, s, func(tx ticketcore.Tx) error {
		out = out[:0]
		for _, tk := range ts {
			if err := tx.CreateTicket(&tk); err != nil {
				return err
			}
			out = append(out, tk)
		}
		return nil
	})
	return out
}

func ticket(status, channel, thread string) ticketcore.Ticket {
	return ticketcore.Ticket{Status: status, Priority: "normal", Intent: "other",
		Fields: map[string]string{}, Channel: channel, Thread: thread, Tags: []string{},
		Requester: channels.Party{ID: thread}, CreatedAt: t0, UpdatedAt: t0}
}

// sameJSON compares values the way they travel: times by instant, numbers
// in any interface field by value.
func sameJSON(t *testing.T, what string, want, got any) {
	t.Helper()
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var wv, gv any
	_ = json.Unmarshal(w, &wv)
	_ = json.Unmarshal(g, &gv)
	if fmt.Sprint(normalize(wv)) != fmt.Sprint(normalize(gv)) {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

// normalize turns RFC 3339 strings into instants, so that the same time in
// two zones compares equal.
func normalize(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = normalize(x)
		}
	case []any:
		for i, x := range v {
			v[i] = normalize(x)
		}
	case string:
		if tm, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return tm.UnixNano()
		}
	}
	return v
}

func wantErrIs(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %v, want %v", what, err, target)
	}
}

func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

func messageID(m ticketcore.Message) string    { return m.ID }
func outboxID(it ticketcore.OutboxItem) string { return it.MessageID }
func timerID(tm ticketcore.Timer) string       { return tm.ID }
func ticketIDOf(tk ticketcore.Ticket) string   { return tk.ID }
func contactIDOf(c ticketcore.Contact) string  { return c.ID }
func messageText(m ticketcore.Message) string  { return m.Text }

func texts(msgs []ticketcore.Message) []string { return ids(msgs, messageText) }

// sameIDs compares lists; nil and empty are the same.
func sameIDs(a, b []string) bool { return slices.Equal(a, b) }

func stats(t *testing.T, s ticketcore.Store) ticketcore.Stats {
	t.Helper()
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	return st
}
