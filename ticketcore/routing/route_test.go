package routing_test

import (
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/loopdesk/loopdesk/ticketcore/cond"
	"github.com/loopdesk/loopdesk/ticketcore/routing"
)

func TestRoute(t *testing.T) {
	r := newRouter(t)
	pageGroup := routing.Notify{To: "group", Via: []string{"sms", "im"}, Page: true, Rule: "vip-refund"}
	leadIM := routing.Notify{To: "lead", Via: []string{"im"}, Rule: "beijing"}
	bobSMS := routing.Notify{To: "agent:bob", Via: []string{"sms"}, Rule: "after-hours"}
	for _, tc := range []struct {
		name    string
		env     cond.Env
		matched []string
		want    routing.Decision // Matched and Failed are checked by name
	}{{
		name: "vip refund stops before beijing and after-hours",
		env: ticket(wedNight, func(e *cond.Env) {
			e.Intent, e.Contact.Tier, e.Fields = "refund", "vip", map[string]string{"region": "北京"}
		}),
		matched: []string{"vip-refund"},
		want: routing.Decision{Group: "after_sales", Priority: "high", Type: "refund",
			AddTags: []string{"vip"}, Notify: []routing.Notify{pageGroup}},
	}, {
		name: "refund from Beijing by email: later priority wins, tags merged once",
		env: ticket(wedMorning, func(e *cond.Env) {
			e.Intent, e.Channel, e.Fields = "refund", "email", map[string]string{"region": "北京"}
		}),
		matched: []string{"refunds", "beijing", "email"},
		want: routing.Decision{Group: "after_sales", Priority: "low", Type: "refund",
			AddTags: []string{"refund", "north", "email"}, Notify: []routing.Notify{leadIM}},
	}, {
		name:    "billing by email: email overrides billing's priority",
		env:     ticket(wedMorning, func(e *cond.Env) { e.Intent, e.Channel = "billing", "email" }),
		matched: []string{"billing", "email"},
		want:    routing.Decision{Group: "finance", Priority: "low", AddTags: []string{"email"}},
	}, {
		name:    "billing after hours: assignee set, notifications collected",
		env:     ticket(wedNight, func(e *cond.Env) { e.Intent = "billing" }),
		matched: []string{"billing", "after-hours"},
		want:    routing.Decision{Group: "finance", Priority: "normal", Assignee: "bob", Notify: []routing.Notify{bobSMS}},
	}, {
		name: "nothing matches",
		env:  ticket(wedMorning, nil),
	}} {
		t.Run(tc.name, func(t *testing.T) {
			d := r.Route(tc.env)
			if got := ruleNames(d.Matched); !slices.Equal(got, tc.matched) {
				t.Errorf("matched %v; want %v", got, tc.matched)
			}
			if len(d.Failed) > 0 {
				t.Errorf("failed %v", d.Failed)
			}
			d.Matched, d.Failed = nil, nil
			if !reflect.DeepEqual(d, tc.want) {
				t.Errorf("decision\n got %+v\nwant %+v", d, tc.want)
			}
		})
	}
}

func TestRouteMatchRecordsWhatItSet(t *testing.T) {
	r := newRouter(t)
	d := r.Route(ticket(wedMorning, func(e *cond.Env) { e.Intent, e.Contact.Tier = "refund", "vip" }))
	if len(d.Matched) != 1 {
		t.Fatalf("matched %v", ruleNames(d.Matched))
	}
	m := d.Matched[0]
	if m.Rule != "vip-refund" || !m.Stop || m.Set.Group != "after_sales" || m.Set.Assignee == nil ||
		*m.Set.Assignee != "" || len(m.Notify) != 1 || m.Notify[0].Rule != "vip-refund" {
		t.Errorf("match %+v", m)
	}
	m.Set.Tags[0] = "changed" // a Match is the caller's copy
	if again := r.Route(ticket(wedMorning, func(e *cond.Env) { e.Intent, e.Contact.Tier = "refund", "vip" })); again.AddTags[0] != "vip" {
		t.Errorf("mutating a Match changed the router: %v", again.AddTags)
	}
}

func TestRouteClearsAssignee(t *testing.T) {
	cfg := loadConfig(t)
	cfg.Rules = []routing.Rule{
		{Name: "night-bob", When: "hour >= 18", Set: routing.Actions{Assignee: ptr("bob")}},
		{Name: "vip-to-group", When: `contact.tier == "vip"`, Set: routing.Actions{Group: "after_sales", Assignee: ptr("")}},
		{Name: "no-assignee-change", Set: routing.Actions{Tags: []string{"seen"}}},
	}
	r, err := routing.New(cfg, testShifts())
	if err != nil {
		t.Fatal(err)
	}
	if d := r.Route(ticket(wedNight, nil)); d.Assignee != "bob" {
		t.Errorf("night ticket assignee %q; want bob", d.Assignee)
	}
	if d := r.Route(ticket(wedNight, func(e *cond.Env) { e.Contact.Tier = "vip" })); d.Assignee != "" || d.Group != "after_sales" {
		t.Errorf("vip night ticket: group %q assignee %q; want after_sales and cleared", d.Group, d.Assignee)
	}
}

func TestRouteEvaluationErrorCountsAsNotMatched(t *testing.T) {
	cfg := loadConfig(t)
	cfg.Rules = append([]routing.Rule{
		{Name: "first-tag", When: `tags[0] == "spam"`, Set: routing.Actions{Group: "finance"}, Stop: true},
	}, cfg.Rules...)
	r, err := routing.New(cfg, testShifts())
	if err != nil {
		t.Fatal(err)
	}
	d := r.Route(ticket(wedMorning, func(e *cond.Env) { e.Intent = "refund" })) // no tags: index out of range
	if len(d.Failed) != 1 || d.Failed[0].Rule != "first-tag" || d.Failed[0].Err == nil ||
		!strings.Contains(d.Failed[0].Err.Error(), `rule "first-tag"`) {
		t.Fatalf("failed %+v", d.Failed)
	}
	if got := ruleNames(d.Matched); !slices.Equal(got, []string{"refunds"}) || d.Group != "after_sales" {
		t.Errorf("matched %v, group %q; the failing rule must neither apply nor stop", got, d.Group)
	}
}

func TestRecipients(t *testing.T) {
	r := newRouter(t)
	for _, tc := range []struct {
		to, group, assignee string
		want                []string
	}{
		{"group", "after_sales", "", []string{"alice", "carol", "dave"}},
		{"lead", "finance", "erin", []string{"bob"}},
		{"assignee", "finance", "erin", []string{"erin"}},
		{"assignee", "finance", "", []string{"erin", "frank", "gina"}}, // unassigned: the group hears of it
		{"assignee", "", "", nil},
		{"agent:gina", "", "", []string{"gina"}},
		{"group", "", "alice", nil},
	} {
		if got := r.Recipients(tc.to, tc.group, tc.assignee); !slices.Equal(got, tc.want) {
			t.Errorf("Recipients(%q, %q, %q) = %v; want %v", tc.to, tc.group, tc.assignee, got, tc.want)
		}
	}
	if got := r.Notifiers(); !slices.Equal(got, []string{"im", "sms"}) {
		t.Errorf("Notifiers() = %v", got)
	}
}

func ruleNames(ms []routing.Match) []string {
	var names []string
	for _, m := range ms {
		names = append(names, m.Rule)
	}
	return names
}

func TestRouterConcurrentUse(t *testing.T) {
	r := newRouter(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			env := ticket(wedMorning, func(e *cond.Env) { e.Intent, e.Channel = "refund", "email" })
			for range 100 {
				if d := r.Route(env); d.Priority != "low" {
					t.Errorf("goroutine %d: %+v", i, d)
					return
				}
				r.Assign("after_sales", wedMorning, state{}, "alice")
				r.Escalate(env, routing.SLAFraction(0.75))
				_ = r.Explain(env)
			}
		})
	}
	wg.Wait()
}
