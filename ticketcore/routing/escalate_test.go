package routing_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/loopdesk/loopdesk/ticketcore/cond"
	"github.com/loopdesk/loopdesk/ticketcore/routing"
)

func TestEscalate(t *testing.T) {
	r := newRouter(t)
	env := func(priority, tier string, waiting int) cond.Env {
		return ticket(wedMorning, func(e *cond.Env) { e.Priority, e.Contact.Tier, e.Waiting = priority, tier, waiting })
	}
	for _, tc := range []struct {
		name    string
		env     cond.Env
		trigger routing.Trigger
		want    []routing.Escalation // Err nil throughout
	}{
		{"third message raises one level", env("normal", "", 3), routing.CustomerMessage,
			[]routing.Escalation{{Rule: "customer-chasing", From: "normal", Priority: "high",
				Reason: "customer-chasing: the customer wrote 3 times while waiting"}}},
		{"fourth message raises again", env("high", "", 4), routing.CustomerMessage,
			[]routing.Escalation{{Rule: "customer-chasing", From: "high", Priority: "urgent",
				Reason: "customer-chasing: the customer wrote 4 times while waiting"}}},
		{"urgent stays urgent", env("urgent", "", 5), routing.CustomerMessage, nil},
		{"second message is not enough", env("low", "", 2), routing.CustomerMessage, nil},
		{"empty priority counts as normal", env("", "", 3), routing.CustomerMessage,
			[]routing.Escalation{{Rule: "customer-chasing", From: "normal", Priority: "high",
				Reason: "customer-chasing: the customer wrote 3 times while waiting"}}},
		{"customer messages do not fire SLA rules", env("normal", "vip", 1), routing.CustomerMessage, nil},
		{"vip at half the SLA", env("low", "vip", 0), routing.SLAFraction(0.5),
			[]routing.Escalation{{Rule: "vip-half-sla", From: "low", Priority: "urgent",
				Reason: "vip-half-sla: the response target used 50% of its budget"}}},
		{"regular customer at half the SLA", env("low", "", 9), routing.SLAFraction(0.5), nil},
		{"rules at one fraction apply in order", env("low", "vip", 0), routing.SLAFraction(0.75),
			[]routing.Escalation{
				{Rule: "late-any", From: "low", Priority: "high", Reason: "late-any: the response target used 75% of its budget"},
				{Rule: "vip-late", From: "high", Priority: "urgent", Reason: "vip-late: the response target used 75% of its budget"},
			}},
		{"raise_to never lowers", env("urgent", "", 0), routing.SLAFraction(0.75), nil},
		{"raise past urgent stops at urgent", env("normal", "vip", 0), routing.SLAFraction(0.75),
			[]routing.Escalation{
				{Rule: "late-any", From: "normal", Priority: "high", Reason: "late-any: the response target used 75% of its budget"},
				{Rule: "vip-late", From: "high", Priority: "urgent", Reason: "vip-late: the response target used 75% of its budget"},
			}},
		{"an unused fraction fires nothing", env("low", "vip", 9), routing.SLAFraction(0.9), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := r.Escalate(tc.env, tc.trigger)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Escalate(%s)\n got %+v\nwant %+v", tc.trigger, got, tc.want)
			}
		})
	}
}

func TestEscalateOnce(t *testing.T) {
	cfg := loadConfig(t)
	cfg.Escalations = []routing.EscalationRule{{Name: "first-chase", When: "waiting == 1", Raise: 1}}
	r, err := routing.New(cfg, testShifts())
	if err != nil {
		t.Fatal(err)
	}
	got := r.Escalate(ticket(wedMorning, func(e *cond.Env) { e.Priority, e.Waiting = "low", 1 }), routing.CustomerMessage)
	if len(got) != 1 || got[0].Priority != "normal" || got[0].Reason != "first-chase: the customer wrote once while waiting" {
		t.Errorf("Escalate = %+v", got)
	}
}

func TestEscalateEvaluationError(t *testing.T) {
	cfg := loadConfig(t)
	cfg.Escalations = []routing.EscalationRule{
		{Name: "tagged", When: `tags[0] == "complaint"`, RaiseTo: "urgent"},
		{Name: "customer-chasing", When: "waiting >= 3", Raise: 1},
	}
	r, err := routing.New(cfg, testShifts())
	if err != nil {
		t.Fatal(err)
	}
	env := ticket(wedMorning, func(e *cond.Env) { e.Waiting = 3 }) // no tags: tags[0] fails
	got, err := r.EscalateChecked(env, routing.CustomerMessage)
	if err == nil || !strings.Contains(err.Error(), `escalation "tagged": when: index out of range`) {
		t.Errorf("EscalateChecked error = %v", err)
	}
	want := []routing.Escalation{{Rule: "customer-chasing", From: "normal", Priority: "high",
		Reason: "customer-chasing: the customer wrote 3 times while waiting"}}
	if !slices.Equal(got, want) {
		t.Errorf("EscalateChecked = %+v; the failing rule must not raise, the next one must", got)
	}
	if plain := r.Escalate(env, routing.CustomerMessage); !slices.Equal(plain, want) {
		t.Errorf("Escalate = %+v", plain)
	}
}

func TestSLAFractions(t *testing.T) {
	if got := newRouter(t).SLAFractions(); !slices.Equal(got, []float64{0.5, 0.75}) {
		t.Errorf("SLAFractions() = %v", got)
	}
	if got := routing.SLAFraction(0.3).String(); got != "SLA at 30%" {
		t.Errorf("SLAFraction(0.3) = %q", got)
	}
	if got := routing.CustomerMessage.String(); got != "customer message" {
		t.Errorf("CustomerMessage = %q", got)
	}
}
