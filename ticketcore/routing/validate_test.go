package routing_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/loopdesk/loopdesk/ticketcore/routing"
)

func TestConfigFromYAML(t *testing.T) {
	cfg := loadConfig(t)
	vip := cfg.Rules[0]
	if vip.Set.Assignee == nil || *vip.Set.Assignee != "" || vip.Notify[0].To != "group" || !vip.Notify[0].Page || !vip.Stop {
		t.Errorf("vip-refund decoded as %+v", vip)
	}
	if cfg.Rules[1].Set.Assignee != nil {
		t.Errorf("refunds: absent assignee decoded as %q; want nil", *cfg.Rules[1].Set.Assignee)
	}
	if e := cfg.Escalations[1]; e.AtSLAFraction != 0.5 || e.RaiseTo != "urgent" {
		t.Errorf("vip-half-sla decoded as %+v", e)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	r := newRouter(t)
	if a, ok := r.Agent("alice"); !ok || a.Display != "李丽" || a.Notify["sms"] != "13800138000" || a.Capacity != 2 {
		t.Errorf("Agent(alice) = %+v, %v", a, ok)
	}
	if _, ok := r.Agent("zed"); ok {
		t.Error("Agent(zed) found")
	}
	if g, ok := r.Group("finance"); !ok || g.Strategy != routing.LeastOpen || g.Lead != "bob" {
		t.Errorf("Group(finance) = %+v, %v", g, ok)
	}
}

func TestDefaultsAndCopies(t *testing.T) {
	cfg := loadConfig(t)
	cfg.Groups[0].Strategy, cfg.Groups[0].Display = "", ""
	r, err := routing.New(cfg, testShifts())
	if err != nil {
		t.Fatal(err)
	}
	if g, _ := r.Group("after_sales"); g.Strategy != routing.RoundRobin || g.Display != "after_sales" {
		t.Errorf("defaults not applied: %+v", g)
	}
	if a, _ := r.Agent("dave"); a.Display != "dave" {
		t.Errorf("agent display default %q", a.Display)
	}
	cfg.Groups[0].Members[0] = "mallory" // the caller's config is not the router's
	groups := r.Groups()
	groups[0].Members[1] = "mallory" // nor is an accessor's result
	if g, _ := r.Group("after_sales"); !slices.Equal(g.Members, []string{"alice", "carol", "dave"}) {
		t.Errorf("members changed to %v", g.Members)
	}
	if len(r.Agents()) != 7 || len(groups) != 2 {
		t.Errorf("Agents %d, Groups %d", len(r.Agents()), len(groups))
	}
}

func TestNewErrorsNameTheItem(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*routing.Config)
		want []string
	}{
		{"bad expression", func(c *routing.Config) { c.Rules[0].When = `contact.teir == "vip"` },
			[]string{`rule "vip-refund": when: `, "has no field teir"}},
		{"type error", func(c *routing.Config) { c.Rules[2].When = `priority > 3` },
			[]string{`rule "billing": when: `, "mismatched types string and int"}},
		{"not a bool", func(c *routing.Config) { c.Rules[2].When = `intent` }, []string{`rule "billing": when: expected bool`}},
		{"unknown group", func(c *routing.Config) { c.Rules[1].Set.Group = "after_sale" },
			[]string{`rule "refunds": set.group: unknown group "after_sale"`}},
		{"unknown assignee", func(c *routing.Config) { c.Rules[5].Set.Assignee = ptr("rob") },
			[]string{`rule "after-hours": set.assignee: unknown agent "rob"`}},
		{"unknown priority", func(c *routing.Config) { c.Rules[4].Set.Priority = "critical" },
			[]string{`rule "email": set.priority: unknown priority "critical"`}},
		{"unknown notify target", func(c *routing.Config) { c.Rules[3].Notify[0].To = "boss" },
			[]string{`rule "beijing": notify[0].to: unknown target "boss"`}},
		{"unknown notify agent", func(c *routing.Config) { c.Rules[5].Notify[0].To = "agent:rob" },
			[]string{`rule "after-hours": notify[0].to: unknown agent "rob"`}},
		{"no notifier", func(c *routing.Config) { c.Rules[3].Notify[0].Via = nil },
			[]string{`rule "beijing": notify[0].via: no notifier`}},
		{"duplicate rule", func(c *routing.Config) { c.Rules[2].Name = "refunds" }, []string{`rule "refunds": defined twice`}},
		{"unnamed rule", func(c *routing.Config) { c.Rules[2].Name = "" }, []string{`rule #3: name is empty`}},
		{"unknown strategy", func(c *routing.Config) { c.Groups[1].Strategy = "random" },
			[]string{`group "finance": strategy: unknown "random"`}},
		{"empty members", func(c *routing.Config) { c.Groups[1].Members = nil }, []string{`group "finance": no members`}},
		{"unknown member", func(c *routing.Config) { c.Groups[0].Members[1] = "zed" },
			[]string{`group "after_sales": member "zed" is not an agent`}},
		{"duplicate member", func(c *routing.Config) { c.Groups[0].Members[1] = "alice" },
			[]string{`group "after_sales": member "alice" listed twice`}},
		{"unknown lead", func(c *routing.Config) { c.Groups[0].Lead = "boss" }, []string{`group "after_sales": lead: unknown agent "boss"`}},
		{"duplicate group", func(c *routing.Config) { c.Groups[1].Name = "after_sales" }, []string{`group "after_sales": defined twice`}},
		{"duplicate agent", func(c *routing.Config) { c.Agents[1].Name = "alice" }, []string{`agent "alice": defined twice`}},
		{"negative capacity", func(c *routing.Config) { c.Agents[3].Capacity = -1 }, []string{`agent "dave": capacity -1 is negative`}},
		{"unknown shift", func(c *routing.Config) { c.Agents[0].Shift = "graveyard" },
			[]string{`agent "alice": shift: unknown calendar "graveyard"`}},
		{"empty address", func(c *routing.Config) { c.Agents[0].Notify["sms"] = "" }, []string{`agent "alice": notify.sms: empty address`}},
		{"escalation expression", func(c *routing.Config) { c.Escalations[0].When = `waiting >= "3"` },
			[]string{`escalation "customer-chasing": when: `}},
		{"escalation raise_to", func(c *routing.Config) { c.Escalations[1].RaiseTo = "critical" },
			[]string{`escalation "vip-half-sla": raise_to: unknown priority "critical"`}},
		{"escalation both", func(c *routing.Config) { c.Escalations[1].Raise = 1 }, []string{`escalation "vip-half-sla": both raise and raise_to`}},
		{"escalation neither", func(c *routing.Config) { c.Escalations[0].Raise = 0 }, []string{`escalation "customer-chasing": neither raise nor raise_to`}},
		{"escalation lowers", func(c *routing.Config) { c.Escalations[0].Raise = -1 }, []string{`escalation "customer-chasing": raise: -1 is negative`}},
		{"escalation fraction", func(c *routing.Config) { c.Escalations[1].AtSLAFraction = 1.5 },
			[]string{`escalation "vip-half-sla": at_sla_fraction: 1.5 is outside (0, 1]`}},
		{"duplicate escalation", func(c *routing.Config) { c.Escalations[1].Name = "customer-chasing" },
			[]string{`escalation "customer-chasing": defined twice`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := loadConfig(t)
			tc.edit(&cfg)
			r, err := routing.New(cfg, testShifts())
			if err == nil || r != nil {
				t.Fatalf("New succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	cfg := loadConfig(t)
	cfg.Rules[0].When = `contact.teir == "vip"`
	cfg.Groups[1].Members = nil
	cfg.Agents[0].Shift = "graveyard" // only New knows the calendars
	err := cfg.Validate()
	if err == nil {
		t.Fatal("Validate succeeded")
	}
	msg := err.Error()
	if !strings.Contains(msg, `rule "vip-refund": when:`) || !strings.Contains(msg, `group "finance": no members`) ||
		strings.Contains(msg, "graveyard") {
		t.Errorf("Validate = %q", msg)
	}
	_, err = routing.New(cfg, testShifts())
	if joined, ok := err.(interface{ Unwrap() []error }); !ok || len(joined.Unwrap()) != 3 {
		t.Errorf("New = %v; want three joined problems", err)
	}
	if !strings.Contains(err.Error(), `agent "alice": shift: unknown calendar "graveyard"`) {
		t.Errorf("New = %q", err)
	}
}

func TestNewWithoutCalendars(t *testing.T) {
	_, err := routing.New(loadConfig(t), nil)
	if err == nil || !strings.Contains(err.Error(), `agent "alice": shift: unknown calendar "day"`) {
		t.Errorf("New without calendars = %v", err)
	}
}
