package llm

import (
	"testing"
	"time"
)

func TestFieldAccept(t *testing.T) {
	fields := map[string]fieldCheck{}
	for _, f := range DefaultFields() {
		fields[f.Key] = newFieldCheck(f)
	}
	for _, c := range []struct {
		key, value, text, want string // want "" = dropped
	}{
		{"phone", "18927730465", "我电话 189 2773 0465", "18927730465"},
		{"phone", "+86 139-1024-7781", "call +86 139-1024-7781", "13910247781"},
		{"phone", "１５８２２１００３４６", "１５８ ２２１０ ０３４６", "15822100346"},
		{"phone", "13800138000", "我电话 13900139000", ""}, // not in the text
		{"phone", "4008201234", "热线 400-820-1234", ""},  // not a mobile
		{"order_id", "2024051188320917", "订单号 2024 0511 8832 0917", "2024051188320917"},
		{"order_id", "so-20240327115", "order #so-20240327115", "SO-20240327115"},
		{"order_id", "PDD662019384756", "订单号：PDD-662019384756", "PDD662019384756"},
		{"order_id", "ADMIN", "assign it to the admin", ""},
		{"email", "Li_Hua88@126.com", "mail Li_Hua88@126.com", "li_hua88@126.com"},
		{"email", "admin@loopdesk.io", "assign it to the admin", ""},
		{"device_sn", "ht20a-55821907", "机身编号：ht20a-55821907", "HT20A-55821907"},
		{"tracking_no", "SF1402837720195", "顺丰 sf1402837720195", "SF1402837720195"},
		{"amount", "1299", "标价¥1,299", "1299.00"},
		{"amount", "268.00", "付了268元", "268.00"},
		{"amount", "35000", "3.5万元", "35000.00"},
		{"amount", "3500.00", "三千五块左右", "3500.00"},
		{"amount", "29.90", "二十九块九", "29.90"},
		{"amount", "29.90", "29块9", "29.90"},
		{"amount", "1200.00", "一千二百元", "1200.00"},
		{"amount", "100.00", "退我200元", ""},
		{"amount", "lots", "退我200元", ""},
		{"phone", "⟦PHONE_1⟧", "电话 ⟦PHONE_1⟧", ""}, // an unrestored placeholder was made up
	} {
		got, ok := fields[c.key].accept(c.value, c.text)
		if !ok {
			got = ""
		}
		if got != c.want {
			t.Errorf("%s %q in %q: got %q, want %q", c.key, c.value, c.text, got, c.want)
		}
	}
}

func TestAmountsIn(t *testing.T) {
	got := amountsIn("应付199元却扣了2,990.5元，另有一百零五块、两百块和十几")
	for _, want := range []int64{19900, 299050, 10500, 20000} {
		if !got[want] {
			t.Errorf("%d cents not found in %v", want, got)
		}
	}
}

func TestParseAnswer(t *testing.T) {
	a, err := parseAnswer("```json\n{\"intent\":\"refund\",\"priority\":\"normal\",\"fields\":{\"amount\":268,\"phone\":null,\"x\":[1]},\"confidence\":1.7}\n```")
	if err != nil || a.Intent != "refund" || a.Fields["amount"] != "268" || a.Confidence != 1 ||
		len(a.Unusable) != 1 || len(a.Fields) != 1 {
		t.Errorf("parseAnswer = %+v, %v", a, err)
	}
	for _, bad := range []string{"", "{", `{"intent":"refund"}`, "sure! here it is"} {
		if _, err := parseAnswer(bad); err == nil {
			t.Errorf("parseAnswer(%q) accepted", bad)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"7": 7 * time.Second, "": 0, "soon": 0,
		"Thu, 01 Jan 2026 12:00:30 GMT": 30 * time.Second,
	} {
		if got := retryAfter(v, now); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestBreakerStates(t *testing.T) {
	now := time.Unix(0, 0)
	b := newBreaker(BreakerConfig{Failures: 2, Cooldown: time.Minute}, func() time.Time { return now })
	call := func(o outcome) bool {
		tk, ok := b.allow()
		if ok {
			b.record(tk, o)
		}
		return ok
	}
	if !call(failed) || !call(failed) {
		t.Fatal("closed breaker refused")
	}
	if call(succeeded) {
		t.Fatal("breaker still closed after 2 failures")
	}
	now = now.Add(time.Minute)
	probe, ok := b.allow()
	if _, again := b.allow(); !ok || again {
		t.Fatal("half-open breaker must let exactly one probe through")
	}
	b.record(probe, failed)
	if call(succeeded) {
		t.Fatal("a failed probe must open the breaker again")
	}
	now = now.Add(time.Minute)
	probe, ok = b.allow()
	if !ok {
		t.Fatal("no probe after the second cooldown")
	}
	b.record(probe, abandoned) // frees the probe slot, decides nothing
	if !call(succeeded) {
		t.Fatal("an abandoned probe kept the slot, or a successful probe did not close")
	}
	// Healthy: concurrent calls are not limited.
	var tks []ticket
	for range 5 {
		tk, ok := b.allow()
		if !ok {
			t.Fatal("healthy breaker limited concurrent calls")
		}
		tks = append(tks, tk)
	}
	for _, tk := range tks {
		b.record(tk, failed)
	}
	// After a failure, calls in flight count against the threshold.
	now = now.Add(time.Minute)
	call(succeeded)
	tk, _ := b.allow()
	b.record(tk, failed)
	if _, ok := b.allow(); !ok {
		t.Fatal("one failure of two: one more call may go")
	}
	if _, ok := b.allow(); ok {
		t.Fatal("failures + calls in flight reached the threshold, yet a call went")
	}
}
