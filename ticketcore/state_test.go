package ticketcore_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/ticketcore"
)

func TestStateGetAndUpdate(t *testing.T) {
	h := newHarness(t, fakeExtractor{}, &fakeChannel{}, nil)
	ctx := context.Background()
	st := h.svc.State()
	if v, err := st.Get(ctx, "wecom/token"); v != nil || err != nil {
		t.Fatalf("unset key = %q, %v; want nil", v, err)
	}
	appendB := func(old []byte) ([]byte, error) { return append(old, 'b'), nil }
	for range 2 {
		if err := st.Update(ctx, "wecom/token", appendB); err != nil {
			t.Fatal(err)
		}
	}
	if v, _ := st.Get(ctx, "wecom/token"); string(v) != "bb" {
		t.Errorf("after two updates = %q, want bb", v)
	}
	boom := errors.New("token endpoint said no")
	if err := st.Update(ctx, "wecom/token", func([]byte) ([]byte, error) { return []byte("lost"), boom }); err != boom {
		t.Errorf("Update with a failing fn = %v, want fn's error as it is", err)
	}
	if v, _ := st.Get(ctx, "wecom/token"); string(v) != "bb" {
		t.Errorf("after a failing fn = %q, want bb unchanged", v)
	}
	if err := st.Update(ctx, "wecom/token", func([]byte) ([]byte, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if v, _ := st.Get(ctx, "wecom/token"); v != nil {
		t.Errorf("after a nil result = %q, want the key unset", v)
	}
	if _, err := st.Get(ctx, ""); !errors.Is(err, ticketcore.ErrInvalid) {
		t.Errorf("empty key: %v", err)
	}
}

// A channel's keys live apart from the core's settings: a key named like
// one of them leaves it alone.
func TestStateKeysDoNotMeetCoreSettings(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), nil)
	ctx := context.Background()
	d.sendFrom("e1", "u1", "", "repair: 屏幕坏了") // moves the group's round-robin cursor
	d.settled("T-000001")
	err := d.svc.State().Update(ctx, "routing.cursor.after_sales", func([]byte) ([]byte, error) { return []byte("zhang"), nil })
	if err != nil {
		t.Fatal(err)
	}
	d.sendFrom("e2", "u2", "", "repair: 键盘坏了")
	if tk := d.settled("T-000002"); tk.Assignee != "wang" {
		t.Errorf("assignee %q, want wang, next after li: the State write moved the core's cursor", tk.Assignee)
	}
}

// Concurrent updates of one key each see the others' writes.
func TestStateUpdateIsAtomic(t *testing.T) {
	h := newHarness(t, fakeExtractor{}, &fakeChannel{}, nil)
	ctx := context.Background()
	st := h.svc.State()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			err := st.Update(ctx, "api/counter", func(old []byte) ([]byte, error) {
				n, _ := strconv.Atoi(string(old))
				return []byte(strconv.Itoa(n + 1)), nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if v, _ := st.Get(ctx, "api/counter"); string(v) != "20" {
		t.Errorf("counter = %q, want 20", v)
	}
}

func TestOnceRemembersForTTL(t *testing.T) {
	c := &clock{t: at("2026-04-07 10:00:00")}
	h := newHarness(t, fakeExtractor{}, &fakeChannel{}, func(cfg *ticketcore.Config) { cfg.Now = c.Now })
	ctx := context.Background()
	st := h.svc.State()
	once := func(key string) bool {
		t.Helper()
		first, err := st.Once(ctx, key, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return first
	}
	if !once("wecom/cb/1") {
		t.Error("a new key is not first")
	}
	if once("wecom/cb/1") {
		t.Error("a key seen at once is first again")
	}
	c.Advance(59 * time.Second)
	if once("wecom/cb/1") {
		t.Error("a key seen within its ttl is first again")
	}
	if !once("wecom/cb/2") {
		t.Error("another key is not first")
	}
	c.Advance(time.Second) // a ttl after the first call: forgotten
	if !once("wecom/cb/1") {
		t.Error("a key whose ttl has passed is not first")
	}
	if once("wecom/cb/1") {
		t.Error("a key remembered again is first")
	}
	if once("wecom/cb/2") {
		t.Error("the second key, within its ttl, is first again")
	}
	if _, err := st.Once(ctx, "wecom/cb/3", 0); !errors.Is(err, ticketcore.ErrInvalid) {
		t.Errorf("a zero ttl: %v", err)
	}
}

// Of callers racing with one key, exactly one is first.
func TestOnceIsFirstOnce(t *testing.T) {
	h := newHarness(t, fakeExtractor{}, &fakeChannel{}, nil)
	var mu sync.Mutex
	firsts := 0
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			first, err := h.svc.State().Once(context.Background(), "wecom/cb/race", time.Hour)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if first {
				firsts++
			}
		})
	}
	wg.Wait()
	if firsts != 1 {
		t.Errorf("%d callers were first, want 1", firsts)
	}
}

// Expired keys are forgotten by later calls, so what Once remembers stays
// about as many keys as one ttl brings, however many calls there were.
func TestOncePrunesExpiredKeys(t *testing.T) {
	c := &clock{t: at("2026-04-07 10:00:00")}
	h := newHarness(t, fakeExtractor{}, &fakeChannel{}, func(cfg *ticketcore.Config) { cfg.Now = c.Now })
	ctx := context.Background()
	st := h.svc.State()
	// Nothing else writes settings here, so every one counted is Once's:
	// a remembered key and its place in the order of expiry.
	stored := func() int { return settings(t, h) }
	for i := range 1000 {
		if first, err := st.Once(ctx, fmt.Sprint("wecom/cb/", i), time.Minute); err != nil || !first {
			t.Fatalf("call %d: %v, %v", i, first, err)
		}
		c.Advance(time.Second)
		if n := stored(); n > 2*(60+1) {
			t.Fatalf("after %d calls %d settings are stored: expired keys are not forgotten", i+1, n)
		}
	}
	c.Advance(time.Hour)
	for i := range 20 {
		if _, err := st.Once(ctx, fmt.Sprint("wecom/late/", i), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if n := stored(); n != 2*20 {
		t.Errorf("%d settings stored, want 40: the 20 keys just seen, the expired all forgotten", n)
	}
}

// settings counts the settings stored (Tx.PutMeta), the core's and the
// channels' alike.
func settings(t *testing.T, h *harness) int {
	t.Helper()
	n := 0
	err := h.store.View(context.Background(), func(tx ticketcore.ReadTx) error {
		return tx.MetaRange("", func(string, []byte) bool { n++; return true })
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
