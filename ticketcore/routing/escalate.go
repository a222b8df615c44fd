package routing

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/loopdesk/loopdesk/nlu"
	"github.com/loopdesk/loopdesk/ticketcore/cond"
)

// Trigger is the event an escalation check runs on: CustomerMessage, or
// SLAFraction(f) when a running response target reaches fraction f of its
// budget. Its value is that fraction, 0 for a customer message.
type Trigger float64

// CustomerMessage is the trigger of a customer's message on a ticket
// waiting for a reply (Env.Waiting already counts it). It runs the rules
// without at_sla_fraction.
const CustomerMessage Trigger = 0

// SLAFraction is the trigger of a running response target reaching
// fraction f (> 0) of its budget; it runs the rules with that
// at_sla_fraction. Schedule one for each of Router.SLAFractions.
func SLAFraction(f float64) Trigger { return Trigger(f) }

func (t Trigger) String() string {
	if t == CustomerMessage {
		return "customer message"
	}
	return "SLA at " + percent(float64(t))
}

// Escalation is one priority raise, to be recorded as a ticket event.
type Escalation struct {
	Rule     string
	From     string // the priority before
	Priority string // the new priority, always more pressing than From
	// Reason explains the raise, e.g. "customer-chasing: the customer
	// wrote 3 times while waiting".
	Reason string
}

// Escalate runs the escalation rules that listen to trigger against env
// and returns the raises they make, in order. Each rule sees the priority
// the previous ones left (env.Priority; empty or unknown counts as normal).
// Only raises are returned: a priority is never lowered and urgent stays
// urgent. A rule fires on every trigger while its `when` holds, so `raise:
// 1` with `waiting >= 3` goes up again at the fourth message. A rule whose
// `when` fails to evaluate counts as not holding; EscalateChecked reports
// those errors.
func (r *Router) Escalate(env cond.Env, trigger Trigger) []Escalation {
	out, _ := r.EscalateChecked(env, trigger)
	return out
}

// EscalateChecked is Escalate that also returns the evaluation errors of
// rules that could not be checked (joined, each naming its rule), for the
// caller to log. The raises of the other rules are returned either way.
func (r *Router) EscalateChecked(env cond.Env, trigger Trigger) ([]Escalation, error) {
	if !nlu.ValidPriority(env.Priority) {
		env.Priority = nlu.PriorityNormal
	}
	var out []Escalation
	var errs []error
	for _, e := range r.escalations {
		if !sameFraction(e.AtSLAFraction, float64(trigger)) {
			continue
		}
		ok, err := e.when.Eval(env)
		if err != nil {
			if ce, isCond := errors.AsType[*cond.Error](err); isCond {
				err = ce.Err // named below as an escalation, not a rule
			}
			errs = append(errs, fmt.Errorf("escalation %q: when: %w", e.Name, err))
			continue
		}
		to := e.target(env.Priority)
		if !ok || nlu.PriorityRank(to) >= nlu.PriorityRank(env.Priority) {
			continue
		}
		out = append(out, Escalation{Rule: e.Name, From: env.Priority, Priority: to, Reason: e.reason(env, trigger)})
		env.Priority = to
	}
	return out, errors.Join(errs...)
}

// target is the priority e raises from to, possibly from itself.
func (e escalation) target(from string) string {
	if e.RaiseTo != "" {
		return e.RaiseTo
	}
	levels := nlu.Priorities()
	return levels[max(nlu.PriorityRank(from)-e.Raise, 0)]
}

func (e escalation) reason(env cond.Env, t Trigger) string {
	if t != CustomerMessage {
		return fmt.Sprintf("%s: the response target used %s of its budget", e.Name, percent(float64(t)))
	}
	times := strconv.Itoa(env.Waiting) + " times"
	if env.Waiting == 1 {
		times = "once"
	}
	return fmt.Sprintf("%s: the customer wrote %s while waiting", e.Name, times)
}

// SLAFractions returns the distinct fractions the escalation rules listen
// to, ascending, so the caller can schedule an SLA timer for each.
func (r *Router) SLAFractions() []float64 {
	var fs []float64
	for _, e := range r.escalations {
		if e.AtSLAFraction > 0 && !slices.ContainsFunc(fs, func(f float64) bool { return sameFraction(f, e.AtSLAFraction) }) {
			fs = append(fs, e.AtSLAFraction)
		}
	}
	slices.Sort(fs)
	return fs
}

// sameFraction compares fractions that went through YAML and timers.
func sameFraction(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// percent formats a fraction: 0.5 is 50%, 0.3 is 30% (not 30.000000000000004%).
func percent(f float64) string {
	return strconv.FormatFloat(math.Round(f*10000)/100, 'f', -1, 64) + "%"
}
