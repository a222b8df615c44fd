package routing_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loopdesk/loopdesk/ticketcore/cond"
	"github.com/loopdesk/loopdesk/ticketcore/routing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

func TestExplainGolden(t *testing.T) {
	r := newRouter(t)
	for _, tc := range []struct {
		golden string
		env    cond.Env
	}{
		{"explain_vip_refund.golden", ticket(wedNight, func(e *cond.Env) { e.Intent, e.Contact.Tier = "refund", "vip" })},
		{"explain_refund_email.golden", ticket(wedMorning, func(e *cond.Env) {
			e.Intent, e.Channel, e.Fields = "refund", "email", map[string]string{"region": "北京"}
		})},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			got := r.Explain(tc.env)
			path := filepath.Join("testdata", tc.golden)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("Explain differs from %s (go test -update rewrites it)\n got:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}

// TestExplain checks what a reader relies on, whatever the layout: every
// rule appears in order with its verdict, and the decision follows.
func TestExplain(t *testing.T) {
	cfg := loadConfig(t)
	cfg.Rules = append([]routing.Rule{{Name: "first-tag", When: `tags[0] == "spam"`, Set: routing.Actions{Group: "finance"}}}, cfg.Rules...)
	r, err := routing.New(cfg, testShifts())
	if err != nil {
		t.Fatal(err)
	}
	out := r.Explain(ticket(wedMorning, func(e *cond.Env) { e.Intent, e.Contact.Tier = "refund", "vip" }))
	assertInOrder(t, out,
		"first-tag: error, counts as not matched: index out of range", "| tags[0]",
		"vip-refund: matched (stop", `when: intent == "refund" && contact.tier == "vip"`,
		`set: group=after_sales assignee="" priority=high type=refund tags=vip`, "notify: group via sms+im, page",
		"refunds: not evaluated (stopped by vip-refund)", "after-hours: not evaluated (stopped by vip-refund)",
		"decision:", "group: after_sales", "assignee: none yet: after_sales assigns by round_robin",
		"priority: high", "add tags: vip", "notify: group via sms+im, page (vip-refund)")

	out = r.Explain(ticket(wedMorning, nil))
	assertInOrder(t, out, "vip-refund: not matched", "billing: not matched", "after-hours: not matched",
		"group: unchanged", "assignee: unchanged", "add tags: none", "notify: nobody")

	empty, err := routing.New(routing.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	assertInOrder(t, empty.Explain(cond.Env{}), "rules:", "(none configured)", "decision:")
}

func assertInOrder(t *testing.T, out string, parts ...string) {
	t.Helper()
	rest := out
	for _, p := range parts {
		i := strings.Index(rest, p)
		if i < 0 {
			t.Errorf("Explain output lacks %q after the earlier parts:\n%s", p, out)
			return
		}
		rest = rest[i+len(p):]
	}
}
