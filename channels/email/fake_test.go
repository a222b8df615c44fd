package email

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/channels/channeltest"
)

// memCore plays the ticket core for the channel's tests
// (channeltest.Core), with the mailbox position at hand.
type memCore struct{ *channeltest.Core }

func newMemCore() *memCore { return &memCore{channeltest.NewCore(nil)} }

func (c *memCore) deps() Deps { return Deps{Handler: c, State: c, Reports: c} }

func (c *memCore) messages() []channels.Message { return c.Messages() }

func (c *memCore) counts() (stored, duplicates int) { return len(c.Messages()), c.Duplicates() }

func (c *memCore) failure(id string) (string, bool) { return c.Failure(id) }

// position is the stored mailbox position, zero when none.
func (c *memCore) position(t *testing.T, key string) position {
	t.Helper()
	var p position
	if raw, _ := c.Get(t.Context(), key); raw != nil {
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatalf("stored position %q: %v", raw, err)
		}
	}
	return p
}

func (c *memCore) setPosition(t *testing.T, key string, p position) {
	t.Helper()
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Update(t.Context(), key, func([]byte) ([]byte, error) { return raw, nil }); err != nil {
		t.Fatal(err)
	}
}

// eventually polls cond until it holds, failing t after timeout. It
// returns how long that took.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	began := time.Now()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Since(began) > timeout {
			t.Fatalf("after %v: %s", timeout, what)
		}
		<-tick.C
	}
	return time.Since(began)
}
