package boltstore

import (
	"context"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/ticketcore"
)

// TestOpenTicketsCountedOnFirstOpen: a data file written before the
// open-ticket counts existed gets them from its tickets when it is opened.
func TestOpenTicketsCountedOnFirstOpen(t *testing.T) {
	path := tempPath(t)
	s := openAt(t, path, Config{})
	err := s.Update(context.Background(), func(tx ticketcore.Tx) error {
		for _, tk := range []ticketcore.Ticket{
			{Status: ticketcore.StatusOpen, Assignee: "li"},
			{Status: ticketcore.StatusPending, Assignee: "li"},
			{Status: ticketcore.StatusSolved, Assignee: "li"},
			{Status: ticketcore.StatusNew, Assignee: "han"},
			{Status: ticketcore.StatusClosed, Assignee: "mei"},
			{Status: ticketcore.StatusNew},
		} {
			tk.Channel, tk.Thread = channels.API, "u"
			if err := tx.CreateTicket(&tk); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// What an older loopdesk left: tickets and no counts.
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketOpen) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path, Config{})
	_ = s.View(context.Background(), func(tx ticketcore.ReadTx) error {
		for agent, want := range map[string]int{"li": 2, "han": 1, "mei": 0} {
			if n, err := tx.OpenTickets(agent); n != want || err != nil {
				t.Errorf("OpenTickets(%s) = %d, %v; want %d", agent, n, err, want)
			}
		}
		return nil
	})
}
