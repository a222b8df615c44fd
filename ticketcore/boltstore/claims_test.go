package boltstore

import (
	"context"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/ticketcore"
)

// A commit ends the claims taken before it began to commit, never one a
// claim took in between, from the state just committed: that claim would
// be lost and the item claimed (and sent) twice.
func TestCommitEndsOnlyEarlierClaims(t *testing.T) {
	s := openAt(t, tempPath(t), Config{})
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	var id string
	err := s.Update(ctx, func(tx ticketcore.Tx) error {
		m := ticketcore.Message{Channel: channels.API, Thread: "u", Direction: channels.Out, Text: "hi"}
		if err := tx.AddMessage(&m); err != nil {
			return err
		}
		id = m.ID
		return tx.EnqueueOutbox(ticketcore.OutboxItem{MessageID: m.ID, Due: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	claim := func(at time.Time) int {
		t.Helper()
		items, err := s.ClaimOutbox(ctx, at, 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return len(items)
	}
	if n := claim(now); n != 1 {
		t.Fatalf("first claim took %d items, want 1", n)
	}
	seq, _ := parseMessageID(id)
	ended := []leaseKey{{kind: leaseOutbox, seq: seq}}

	before := s.leases.claims() // a commit that requeues the item begins
	if n := claim(now); n != 0 {
		t.Fatalf("a claimed item was claimed again: %d", n)
	}
	s.leases.end(ended, before) // it committed: the first claim ends
	if n := claim(now); n != 1 {
		t.Fatalf("after the commit, claim took %d items, want the requeued one", n)
	}

	before = s.leases.claims()
	if n := claim(now.Add(2 * time.Minute)); n != 1 { // between commit and release, a claim takes it anew
		t.Fatalf("claim after the lease ran out took %d items, want 1", n)
	}
	s.leases.end(ended, before)
	if n := claim(now.Add(2 * time.Minute)); n != 0 {
		t.Errorf("the release ended a claim taken after the commit: the item was claimed again")
	}
}
