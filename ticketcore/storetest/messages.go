package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/ticketcore"
)

func testMessages(t *testing.T, h Harness) {
	s := h.Open(t)
	in := inbound("ext-1", "user-1", "订单 2026112500012345 还没发货")
	in.Meta, in.Group = map[string]string{"kf": "wk-1"}, "after_sales"
	in.Attachments = []ticketcore.AttachmentRef{{Filename: "a.png", ContentType: "image/png", Size: 3, SHA256: "x"}}
	msgs := addMessages(t, s, in, outbound("user-1", "收到"))
	if msgs[0].ID == "" || msgs[1].ID == "" || msgs[0].ID == msgs[1].ID {
		t.Fatalf("ids %q and %q: want two distinct ids", msgs[0].ID, msgs[1].ID)
	}
	view(t, s, func(tx ticketcore.ReadTx) error {
		got, err := tx.Message(msgs[0].ID)
		if err != nil {
			return err
		}
		sameJSON(t, "Message", msgs[0], got)
		byExt, err := tx.MessageByExternalID(channels.API, "ext-1")
		if err != nil {
			return err
		}
		sameJSON(t, "MessageByExternalID", msgs[0], byExt)
		_, err = tx.MessageByExternalID(channels.Email, "ext-1")
		wantErrIs(t, "same external id on another channel", err, ticketcore.ErrNotFound)
		_, err = tx.MessageByExternalID(channels.API, "ext-2")
		wantErrIs(t, "unknown external id", err, ticketcore.ErrNotFound)
		_, err = tx.Message("msg-9999999999")
		wantErrIs(t, "unknown message id", err, ticketcore.ErrNotFound)
		_, err = tx.Message("nonsense")
		wantErrIs(t, "malformed message id", err, ticketcore.ErrNotFound)
		forged := msgs[0].ID[:len(msgs[0].ID)-1] + "_"
		_, err = tx.Message(forged)
		wantErrIs(t, "an id that differs from a stored one in its last character", err, ticketcore.ErrNotFound)
		return nil
	})

	sent := msgs[1]
	sent.Delivery, sent.EntrySeq, sent.TicketID, sent.HeldAt = channels.DeliverySent, 3, "T-000001", t0.Add(time.Minute).In(cst)
	update(t, s, func(tx ticketcore.Tx) error { return tx.UpdateMessage(sent) })
	view(t, s, func(tx ticketcore.ReadTx) error {
		got, err := tx.Message(sent.ID)
		sameJSON(t, "updated message", sent, got)
		return err
	})
	err := s.Update(ctx, func(tx ticketcore.Tx) error {
		return tx.UpdateMessage(ticketcore.Message{ID: "msg-9999999999", Channel: channels.API, Thread: "x"})
	})
	wantErrIs(t, "UpdateMessage of an unknown message", err, ticketcore.ErrNotFound)
	moved := sent
	moved.Thread = "another-thread"
	err = s.Update(ctx, func(tx ticketcore.Tx) error { return tx.UpdateMessage(moved) })
	wantErrIs(t, "UpdateMessage that moves a message to another thread", err, ticketcore.ErrInvalid)
	renamed := msgs[0]
	renamed.ExternalID = "ext-renamed"
	err = s.Update(ctx, func(tx ticketcore.Tx) error { return tx.UpdateMessage(renamed) })
	wantErrIs(t, "UpdateMessage that changes the external id", err, ticketcore.ErrInvalid)
}

func testValidation(t *testing.T, h Harness) {
	s := h.Open(t)
	for _, m := range []ticketcore.Message{
		inbound("e", "bad\x00thread", "hi"),
		{Channel: "api\x00x", Thread: "t", Direction: channels.In, ExternalID: "e", Text: "hi"},
	} {
		err := s.Update(ctx, func(tx ticketcore.Tx) error { return tx.AddMessage(&m) })
		wantErrIs(t, fmt.Sprintf("AddMessage(%q, %q)", m.Channel, m.Thread), err, ticketcore.ErrInvalid)
	}
	err := s.Update(ctx, func(tx ticketcore.Tx) error {
		tk := ticket(ticketcore.StatusNew, channels.API, "a\x00b")
		return tx.CreateTicket(&tk)
	})
	wantErrIs(t, "CreateTicket with NUL in thread", err, ticketcore.ErrInvalid)
	err = s.Update(ctx, func(tx ticketcore.Tx) error {
		tk := ticket(ticketcore.StatusNew, channels.API, "a")
		tk.Conversations = []ticketcore.Conversation{{Channel: channels.Email, Thread: "b\x00c"}}
		return tx.CreateTicket(&tk)
	})
	wantErrIs(t, "CreateTicket with NUL in a conversation's thread", err, ticketcore.ErrInvalid)
	err = s.Update(ctx, func(tx ticketcore.Tx) error {
		tk := ticket(ticketcore.StatusNew, channels.API, "a")
		tk.Assignee = "li\x00lei"
		return tx.CreateTicket(&tk)
	})
	wantErrIs(t, "CreateTicket with NUL in the assignee", err, ticketcore.ErrInvalid)
	err = s.View(ctx, func(tx ticketcore.ReadTx) error {
		_, err := tx.Conversation(channels.API, "a\x00b")
		return err
	})
	wantErrIs(t, "Conversation with NUL in thread", err, ticketcore.ErrInvalid)
	err = s.View(ctx, func(tx ticketcore.ReadTx) error {
		_, err := tx.ActiveTicket("a\x00b", "t")
		return err
	})
	wantErrIs(t, "ActiveTicket with NUL in channel", err, ticketcore.ErrInvalid)
}

// testConcurrentDedupe is the inbound path: concurrent deliveries of one
// vendor message each look the key up and store the message only when it
// is missing. Exactly one must be stored, whatever the store batches.
func testConcurrentDedupe(t *testing.T, h Harness) {
	s := h.Open(t)
	const n = 24
	got := make([]string, n)
	errs := together(n, func(i int) error {
		return s.Update(ctx, func(tx ticketcore.Tx) error {
			got[i] = ""
			prev, err := tx.MessageByExternalID(channels.API, "dup-1")
			if err == nil {
				got[i] = prev.ID
				return nil
			}
			if !errors.Is(err, ticketcore.ErrNotFound) {
				return err
			}
			m := inbound("dup-1", "user-dup", fmt.Sprintf("delivery %d", i))
			if err := tx.AddMessage(&m); err != nil {
				return err
			}
			got[i] = m.ID
			return tx.EnqueueInbox(m.ID)
		})
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
		if got[i] != got[0] {
			t.Errorf("delivery %d answered %s, delivery 0 %s", i, got[i], got[0])
		}
	}
	view(t, s, func(tx ticketcore.ReadTx) error {
		conv, err := tx.Conversation(channels.API, "user-dup")
		if len(conv) != 1 {
			t.Errorf("conversation has %d messages, want exactly 1", len(conv))
		}
		return err
	})
	if st := stats(t, s); st.Inbox != 1 {
		t.Errorf("inbox holds %d, want 1", st.Inbox)
	}
}

func testConversation(t *testing.T, h Harness) {
	s := h.Open(t)
	addMessages(t, s, inbound("a1", "thread-a", "a1"), inbound("b1", "thread-b", "b1"),
		outbound("thread-a", "a2"))
	addMessages(t, s, inbound("a3", "thread-a", "a3"))
	other := inbound("x1", "thread-a", "other channel")
	other.Channel = channels.Email
	addMessages(t, s, other)
	view(t, s, func(tx ticketcore.ReadTx) error {
		for _, c := range []struct {
			channel, thread string
			want            []string
		}{
			{channels.API, "thread-a", []string{"a1", "a2", "a3"}},
			{channels.API, "thread-b", []string{"b1"}},
			{channels.Email, "thread-a", []string{"other channel"}},
			{channels.API, "thread", nil},
			{channels.API, "nobody", nil},
		} {
			conv, err := tx.Conversation(c.channel, c.thread)
			if err != nil {
				return err
			}
			if got := texts(conv); !sameIDs(got, c.want) {
				t.Errorf("Conversation(%s, %s) = %q, want %q", c.channel, c.thread, got, c.want)
			}
		}
		return nil
	})
}

// testLastFiledMessage: the newest message of a thread that is on a
// ticket, whichever its direction, past newer ones still unfiled; threads
// whose names extend one another, and other channels, stay apart.
func testLastFiledMessage(t *testing.T, h Harness) {
	s := h.Open(t)
	filed := func(m ticketcore.Message, ticketID string) ticketcore.Message {
		m.TicketID = ticketID
		return m
	}
	// "thread" sorts before "thread-a"; "thread-b" holds the last key of
	// the index, so both ends of a thread's keys are walked from.
	addMessages(t, s, filed(inbound("a1", "thread-a", "a1"), "T-000001"),
		filed(outbound("thread-a", "a2"), "T-000001"), filed(inbound("t1", "thread", "t1"), "T-000002"))
	addMessages(t, s, filed(inbound("a3", "thread-a", "a3"), "T-000003"), inbound("a4", "thread-a", "a4 unfiled"),
		inbound("t2", "thread", "t2 unfiled"))
	addMessages(t, s, inbound("a5", "thread-a", "a5 unfiled"), filed(outbound("thread-b", "b1"), "T-000004"),
		inbound("n1", "never", "n1 unfiled"))
	other := filed(inbound("x1", "thread-a", "other channel"), "T-000005")
	other.Channel = channels.Email
	addMessages(t, s, other)
	view(t, s, func(tx ticketcore.ReadTx) error {
		for _, c := range []struct {
			channel, thread string
			want            string // text; "" for ErrNotFound
		}{
			{channels.API, "thread-a", "a3"},
			{channels.API, "thread", "t1"},
			{channels.API, "thread-b", "b1"},
			{channels.Email, "thread-a", "other channel"},
			{channels.API, "never", ""},
			{channels.API, "nobody", ""},
			{channels.API, "thread-", ""},
		} {
			m, err := tx.LastFiledMessage(c.channel, c.thread)
			if c.want == "" {
				wantErrIs(t, fmt.Sprintf("LastFiledMessage(%s, %s)", c.channel, c.thread), err, ticketcore.ErrNotFound)
				continue
			}
			if err != nil {
				return err
			}
			if m.Text != c.want || m.Channel != c.channel || m.Thread != c.thread || m.ID == "" {
				t.Errorf("LastFiledMessage(%s, %s) = %q on %s/%s, want %q", c.channel, c.thread, m.Text, m.Channel, m.Thread, c.want)
			}
		}
		_, err := tx.LastFiledMessage(channels.API, "a\x00b")
		wantErrIs(t, "LastFiledMessage with NUL in thread", err, ticketcore.ErrInvalid)
		return nil
	})
	// Filing a newer message moves it; an update the transaction makes is
	// read by the transaction.
	update(t, s, func(tx ticketcore.Tx) error {
		conv, err := tx.Conversation(channels.API, "thread-a")
		if err != nil {
			return err
		}
		a4 := conv[3]
		a4.TicketID = "T-000006"
		if err := tx.UpdateMessage(a4); err != nil {
			return err
		}
		m, err := tx.LastFiledMessage(channels.API, "thread-a")
		if err != nil {
			return err
		}
		if m.ID != a4.ID || m.TicketID != "T-000006" {
			t.Errorf("after filing a4, LastFiledMessage = %q on %s, want a4 on T-000006", m.Text, m.TicketID)
		}
		return nil
	})
}

func testMeta(t *testing.T, h Harness) {
	s := h.Open(t)
	read := func(key string) []byte {
		var v []byte
		view(t, s, func(tx ticketcore.ReadTx) error {
			var err error
			v, err = tx.Meta(key)
			return err
		})
		return v
	}
	if v := read("wecom.token"); v != nil {
		t.Errorf("unset meta = %q, want nil", v)
	}
	update(t, s, func(tx ticketcore.Tx) error { return tx.PutMeta("wecom.token", []byte("a")) })
	update(t, s, func(tx ticketcore.Tx) error { return tx.PutMeta("wecom.token", []byte("b")) })
	if v := read("wecom.token"); string(v) != "b" {
		t.Errorf("meta = %q, want %q", v, "b")
	}
	buf := []byte("kept")
	update(t, s, func(tx ticketcore.Tx) error {
		copy(buf, "kept")
		err := tx.PutMeta("imap.uid", buf)
		copy(buf, "XXXX") // the value is the one at the call
		return err
	})
	if v := read("imap.uid"); string(v) != "kept" {
		t.Errorf("meta = %q, want %q", v, "kept")
	}
}
