package cond_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/ticketcore/cond"
)

var shanghai = time.FixedZone("CST", 8*3600)

// vipRefund is a VIP's refund ticket from Beijing on WeCom, a Friday evening.
func vipRefund() cond.Env {
	env := cond.Env{
		Intent: "refund", Priority: "normal", Channel: "wecom", Status: "new", Lang: "zh",
		Text: "我要退款，订单号 20240101", Waiting: 1, Tags: []string{"refund"},
		Fields:  map[string]string{"region": "北京", "order_id": "20240101"},
		Contact: cond.Contact{Tier: "vip", Region: "北京", Name: "王先生", Tags: []string{"vip", "wholesale"}},
	}
	env.SetClock(time.Date(2025, 10, 3, 18, 30, 0, 0, shanghai), false)
	return env
}

func TestEval(t *testing.T) {
	weekday := vipRefund()
	weekday.SetClock(time.Date(2025, 10, 1, 10, 0, 0, 0, shanghai), true) // Wednesday morning
	email := vipRefund()
	email.Channel, email.Contact.Tier = "email", ""
	for _, tc := range []struct {
		src  string
		env  cond.Env
		want bool
	}{
		{`intent == "refund" && contact.tier == "vip"`, vipRefund(), true},
		{`intent == "refund" && contact.tier == "vip"`, email, false},
		{`fields.region == "北京"`, vipRefund(), true},
		{`fields["region"] == "上海"`, vipRefund(), false},
		{`channel == "email"`, email, true},
		{`channel == "email"`, vipRefund(), false},
		{`hour >= 18 || weekday in ["sat","sun"]`, vipRefund(), true},
		{`hour >= 18 || weekday in ["sat","sun"]`, weekday, false},
		{`!business_hours`, vipRefund(), true},
		{`business_hours && weekday == "wed"`, weekday, true},
		{`"vip" in contact.tags`, vipRefund(), true},
		{`"vip" in contact.tags`, email, true},
		{`"urgent" in tags`, vipRefund(), false},
		{`waiting >= 3`, vipRefund(), false},
		{`text contains "退款"`, vipRefund(), true},
		{`now.Year() == 2025 && now.Day() == 3`, vipRefund(), true},
		{`priority in ["urgent", "high"]`, vipRefund(), false},
		{``, vipRefund(), true},
		{"  \n", vipRefund(), true},
	} {
		c, err := cond.Compile("t", tc.src)
		if err != nil {
			t.Fatalf("Compile(%q): %v", tc.src, err)
		}
		got, err := c.Eval(tc.env)
		if err != nil || got != tc.want {
			t.Errorf("%q = %v, %v; want %v", tc.src, got, err, tc.want)
		}
	}
}

func TestCompileErrorNamesTheRule(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`priority > 3`, "mismatched types string and int"},
		{`contact.teir == "vip"`, "has no field teir"},
		{`intent`, "expected bool"},
		{`waiting + 1`, "expected bool"},
		{`intent == "refund" &&`, "unexpected token"},
		{`region == "北京"`, "unknown name region"},
		{`now() > now`, "not callable"},               // the wall clock is out of reach
		{`SetClock(now, true)`, "unknown name"},       // Env's methods are not exposed
		{`Intent == "refund"`, "unknown name Intent"}, // only the expr names
	} {
		_, err := cond.Compile("vip-refund", tc.src)
		if err == nil {
			t.Errorf("Compile(%q) succeeded", tc.src)
			continue
		}
		if msg := err.Error(); !strings.HasPrefix(msg, `rule "vip-refund": `) || !strings.Contains(msg, tc.want) {
			t.Errorf("Compile(%q) = %q; want the rule name and %q", tc.src, msg, tc.want)
		}
		var ce *cond.Error
		if !errors.As(err, &ce) || ce.Rule != "vip-refund" {
			t.Errorf("Compile(%q) error %T is not a *cond.Error for the rule", tc.src, err)
		}
	}
}

func TestMissingKeysReadEmpty(t *testing.T) {
	bare := cond.Env{} // nil maps and slices, as for a ticket with no fields yet
	partial := cond.Env{Fields: map[string]string{"order_id": "1"}, Contact: cond.Contact{Attrs: map[string]string{}}}
	for _, src := range []string{
		`fields.region == ""`,
		`fields["region"] == ""`,
		`contact.attrs.crm_level == ""`,
		`!("vip" in contact.tags)`,
		`len(tags) == 0`,
		`fields.region != "北京"`,
	} {
		c, err := cond.Compile("missing", src)
		if err != nil {
			t.Fatalf("Compile(%q): %v", src, err)
		}
		for _, env := range []cond.Env{bare, partial} {
			if got, err := c.Eval(env); err != nil || !got {
				t.Errorf("%q on %+v = %v, %v; want true, nil", src, env.Fields, got, err)
			}
		}
	}
}

func TestEvalErrorNamesTheRule(t *testing.T) {
	for _, src := range []string{`contact.tags[5] == "vip"`, `int(fields.amount) > 100`} {
		c, err := cond.Compile("big-order", src)
		if err != nil {
			t.Fatalf("Compile(%q): %v", src, err)
		}
		got, err := c.Eval(vipRefund())
		if got || err == nil || !strings.HasPrefix(err.Error(), `rule "big-order": `) {
			t.Errorf("%q = %v, %v; want false and an error naming the rule", src, got, err)
		}
	}
}

func TestSource(t *testing.T) {
	c, err := cond.Compile("x", `channel == "api"`)
	if err != nil {
		t.Fatal(err)
	}
	if c.Source() != `channel == "api"` || c.Name() != "x" {
		t.Errorf("Source, Name = %q, %q", c.Source(), c.Name())
	}
	var none *cond.Cond
	if ok, err := none.Eval(cond.Env{}); !ok || err != nil || none.Source() != "" {
		t.Errorf("nil Cond: Eval = %v, %v; Source = %q", ok, err, none.Source())
	}
}

func TestSetClock(t *testing.T) {
	names := []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
	for i, want := range names {
		var env cond.Env
		now := time.Date(2025, 9, 29+i, 23, 59, 0, 0, shanghai) // 2025-09-29 is a Monday
		env.SetClock(now, i < 5)
		if env.Weekday != want || env.Hour != 23 || !env.Now.Equal(now) || env.BusinessHours != (i < 5) {
			t.Errorf("SetClock(%v) = %q %d %v", now, env.Weekday, env.Hour, env.BusinessHours)
		}
	}
}

func TestConcurrentEval(t *testing.T) {
	c, err := cond.Compile("vip", `contact.tier == "vip" && fields.region == "北京"`)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			env := vipRefund()
			if i%2 == 1 {
				env.Contact.Tier = "regular"
			}
			for range 200 {
				if got, err := c.Eval(env); err != nil || got != (i%2 == 0) {
					t.Errorf("goroutine %d: %v, %v", i, got, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
