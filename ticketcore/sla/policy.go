package sla

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// DefaultWarnAt is the warning fraction of a policy that names none.
const DefaultWarnAt = 0.75

// Policy sets the budgets of a ticket's targets. It is plain data from the
// configuration. Budgets are business time on the policy's calendar: "24h"
// is 24 business hours, about three days of 09:00-18:00.
type Policy struct {
	// Name identifies the policy; State.Policy records it. Required.
	Name string `yaml:"name"`
	// Calendar names the business-hours calendar the budgets count on; the
	// caller resolves it (empty is the caller's default calendar).
	Calendar string `yaml:"calendar"`
	// FirstResponse is the budget from creation to the first public agent
	// reply; zero means no such target.
	FirstResponse time.Duration `yaml:"first_response"`
	// NextResponse is the budget from a customer's message after a reply to
	// the next reply; zero means no such target.
	NextResponse time.Duration `yaml:"next_response"`
	// Resolution is the budget from creation to solved; zero means no such
	// target.
	Resolution time.Duration `yaml:"resolution"`
	// Stages maps a ticket-type stage to its budget, run as the target
	// StagePrefix+stage while the ticket is in that stage.
	Stages map[string]time.Duration `yaml:"stages"`
	// Warn lists the fractions of a budget, each in (0, 1), at which a
	// warning is due. Defaults to [0.75] when absent; an empty list
	// (warn_at: []) means no warnings.
	Warn []float64 `yaml:"warn_at"`
}

// Validate reports every problem in the policy, naming it.
func (p Policy) Validate() error {
	var errs []error
	if strings.TrimSpace(p.Name) == "" {
		errs = append(errs, errors.New("name is required"))
	}
	for _, b := range []struct {
		field string
		d     time.Duration
	}{{"first_response", p.FirstResponse}, {"next_response", p.NextResponse}, {"resolution", p.Resolution}} {
		if b.d < 0 {
			errs = append(errs, fmt.Errorf("%s %v: budget is negative", b.field, b.d))
		}
	}
	for _, stage := range slices.Sorted(maps.Keys(p.Stages)) {
		switch d := p.Stages[stage]; {
		case strings.TrimSpace(stage) == "":
			errs = append(errs, errors.New("stages: empty stage name"))
		case d < 0:
			errs = append(errs, fmt.Errorf("stages %s %v: budget is negative", stage, d))
		}
	}
	for i, f := range p.Warn {
		switch {
		case math.IsNaN(f) || f <= 0 || f >= 1:
			errs = append(errs, fmt.Errorf("warn_at %v: want a fraction between 0 and 1, exclusive", f))
		case slices.Contains(p.Warn[:i], f):
			errs = append(errs, fmt.Errorf("warn_at %v: listed twice", f))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sla policy %q: %w", p.Name, err)
	}
	return nil
}

// WarnAt is the policy's warning fractions in increasing order, with the
// default applied.
func (p Policy) WarnAt() []float64 {
	if p.Warn == nil {
		return []float64{DefaultWarnAt}
	}
	out := slices.Clone(p.Warn)
	slices.Sort(out)
	return out
}

// Budget is the policy's budget for the target name (FirstResponse,
// NextResponse, Resolution or StagePrefix+stage); zero when it has none.
func (p Policy) Budget(name string) time.Duration {
	switch name {
	case FirstResponse:
		return p.FirstResponse
	case NextResponse:
		return p.NextResponse
	case Resolution:
		return p.Resolution
	}
	if stage, ok := strings.CutPrefix(name, StagePrefix); ok {
		return p.Stages[stage]
	}
	return 0
}

// StageTarget is the name of the target of a ticket-type stage.
func StageTarget(stage string) string { return StagePrefix + stage }
