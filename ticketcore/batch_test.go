package ticketcore_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/ticketcore"
)

func apiMessage(external, thread, text string) channels.Message {
	return channels.Message{Channel: channels.API, ExternalID: external, Thread: thread,
		From: channels.Party{ID: thread}, Text: text}
}

// position reads a poller's checkpoint back as it would after a restart.
func position(t *testing.T, h *harness, key string) string {
	t.Helper()
	v, err := h.svc.State().Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return string(v)
}

const cursorKey = "api/poll/cursor"

// A batch stores its messages and moves the checkpoint; a message seen
// before, in an earlier batch or earlier in the same one, answers
// Duplicate with the first one's id; an empty batch still moves the
// checkpoint; the messages are filed like any others.
func TestBatchStoresMessagesAndCheckpoint(t *testing.T) {
	h := newHarness(t, fakeExtractor{}, &fakeChannel{}, nil)
	ctx := context.Background()
	rs, err := h.svc.HandleBatch(ctx, []channels.Message{apiMessage("b1", "u1", "一"), apiMessage("b2", "u2", "二"),
		apiMessage("b1", "u1", "一")}, channels.Checkpoint{Key: cursorKey, Value: []byte("c1")})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 3 || rs[0].Duplicate || rs[1].Duplicate || rs[0].MessageID == rs[1].MessageID ||
		!rs[2].Duplicate || rs[2].MessageID != rs[0].MessageID {
		t.Fatalf("receipts = %+v", rs)
	}
	if got := position(t, h, cursorKey); got != "c1" {
		t.Errorf("checkpoint = %q, want c1", got)
	}
	again, err := h.svc.HandleBatch(ctx, []channels.Message{apiMessage("b2", "u2", "二"), apiMessage("b3", "u1", "三")},
		channels.Checkpoint{Key: cursorKey, Value: []byte("c2")})
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 2 || !again[0].Duplicate || again[0].MessageID != rs[1].MessageID || again[1].Duplicate {
		t.Errorf("receipts of the second batch = %+v", again)
	}
	if none, err := h.svc.HandleBatch(ctx, nil, channels.Checkpoint{Key: cursorKey, Value: []byte("c3")}); err != nil || len(none) != 0 {
		t.Fatalf("empty batch: %v, %v", none, err)
	}
	if got := position(t, h, cursorKey); got != "c3" {
		t.Errorf("checkpoint after an empty batch = %q, want c3", got)
	}
	h.eventually("the batches are filed", func() bool {
		tk, err := h.svc.Ticket(ctx, "T-000002")
		return err == nil && len(entriesOf(h.ticket("T-000001"), ticketcore.EntryMessage))+len(entriesOf(tk, ticketcore.EntryMessage)) == 3
	})
	conv, _ := h.svc.Conversation(ctx, channels.API, "u1")
	if in := inboundTexts(conv); strings.Join(in, ",") != "一,三" {
		t.Errorf("thread u1 holds %q, want each message once", in)
	}
	if _, err := h.svc.HandleBatch(ctx, nil, channels.Checkpoint{Key: cursorKey}); err != nil {
		t.Fatal(err)
	}
	if got := position(t, h, cursorKey); got != "" {
		t.Errorf("a nil checkpoint value leaves %q, want the key unset", got)
	}
}

func inboundTexts(conv []channels.ConversationMessage) []string {
	var out []string
	for _, m := range conv {
		if m.Direction == channels.In {
			out = append(out, m.Text)
		}
	}
	return out
}

// One invalid message refuses the whole batch: no message is stored, the
// checkpoint stays where it was, and the error names the message.
func TestBatchWithAnInvalidMessageWritesNothing(t *testing.T) {
	h := newHarness(t, fakeExtractor{}, &fakeChannel{}, nil)
	ctx := context.Background()
	if _, err := h.svc.HandleBatch(ctx, nil, channels.Checkpoint{Key: cursorKey, Value: []byte("c1")}); err != nil {
		t.Fatal(err)
	}
	bad := apiMessage("x3", "", "no thread")
	_, err := h.svc.HandleBatch(ctx, []channels.Message{apiMessage("x1", "u1", "一"), apiMessage("x2", "u1", "二"), bad},
		channels.Checkpoint{Key: cursorKey, Value: []byte("c2")})
	if !errors.Is(err, channels.ErrInvalid) || !strings.Contains(err.Error(), "msgs[2]") {
		t.Fatalf("err = %v, want ErrInvalid naming msgs[2]", err)
	}
	if got := position(t, h, cursorKey); got != "c1" {
		t.Errorf("checkpoint = %q, want c1 still", got)
	}
	conv, _ := h.svc.Conversation(ctx, channels.API, "u1")
	if st, _ := h.store.Stats(ctx); len(conv) != 0 || st.Inbox != 0 {
		t.Errorf("a refused batch stored %d messages and queued %d", len(conv), st.Inbox)
	}
	if _, err := h.svc.HandleBatch(ctx, nil, channels.Checkpoint{Value: []byte("c2")}); !errors.Is(err, channels.ErrInvalid) {
		t.Errorf("a checkpoint without a key: %v, want ErrInvalid", err)
	}
	rs, err := h.svc.HandleBatch(ctx, []channels.Message{apiMessage("x1", "u1", "一")}, channels.Checkpoint{Key: cursorKey, Value: []byte("c2")})
	if err != nil || rs[0].Duplicate {
		t.Errorf("after a refused batch its messages are new: %+v, %v", rs, err)
	}
}
