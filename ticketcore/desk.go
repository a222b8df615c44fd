package ticketcore

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/loopdesk/loopdesk/ticketcore/calendar"
	"github.com/loopdesk/loopdesk/ticketcore/cond"
	"github.com/loopdesk/loopdesk/ticketcore/routing"
	"github.com/loopdesk/loopdesk/ticketcore/sla"
)

// DeskConfig is how a company works, as data: its calendars, groups and
// agents, routing rules and escalations, SLA policies, ticket types with
// stages, and how agents are notified and paged. An industry template
// (configs/desks/ecommerce.yaml) is one.
type DeskConfig struct {
	// TimeZone of rules that look at the time of day. Defaults to Asia/Shanghai.
	TimeZone  string            `yaml:"time_zone"`
	Calendars []calendar.Config `yaml:"calendars"`
	// BusinessHours names the calendar behind business_hours in conditions.
	// Defaults to the first calendar.
	BusinessHours string `yaml:"business_hours"`
	// Groups, agents, rules and escalations.
	routing.Config `yaml:",inline"`
	// SLA policies, the first whose condition matches applies.
	Policies []PolicyConfig `yaml:"sla_policies"`
	// Ticket types, the first whose condition matches (or a rule's type) applies.
	Types  []TypeConfig `yaml:"ticket_types"`
	Notify NotifyConfig `yaml:"notify"`
	Paging PagingConfig `yaml:"paging"`
	// Asking tunes slot filling: the fields ticket types ask for.
	Asking AskingConfig `yaml:"asking"`
}

// PolicyConfig is an SLA policy and when it applies (a condition over the
// ticket and contact; empty: always).
type PolicyConfig struct {
	When       string `yaml:"when"`
	sla.Policy `yaml:",inline"`
}

// TypeConfig is a ticket type; one with stages moves through them in order.
type TypeConfig struct {
	Name   string        `yaml:"name"`
	When   string        `yaml:"when"`
	Stages []StageConfig `yaml:"stages"`
	// SolveWhenDone solves the ticket when its last stage is completed.
	SolveWhenDone bool `yaml:"solve_when_done"`
	// Ask lists the fields the bot asks the customer for before a ticket
	// of the type opens (slot filling; see AskingConfig).
	Ask []string `yaml:"ask_fields"`
}

// StageConfig is one stage: the group that works it, its SLA, the fields
// it must fill before it can be completed, and the reply template sent to
// the customer when the ticket enters it (optional).
type StageConfig struct {
	Name     string        `yaml:"name"`
	Group    string        `yaml:"group"`
	SLA      time.Duration `yaml:"sla"`
	Required []string      `yaml:"required_fields"`
	Progress string        `yaml:"progress_template"`
}

// NotifyConfig says through which notifiers agents hear of tickets.
type NotifyConfig struct {
	// Via carries routine notices: assignments, mentions, SLA warnings.
	Via []string `yaml:"via"`
	// Urgent carries pages for urgent tickets and breaches, on all at once.
	Urgent []string `yaml:"urgent"`
}

// PagingConfig is what happens to a page nobody acknowledges.
type PagingConfig struct {
	// RepeatAfter is when an unacknowledged page is sent again. Defaults to 5m.
	RepeatAfter time.Duration `yaml:"repeat_after"`
	// EscalateAfter is when it also goes to the group lead. Defaults to 15m.
	EscalateAfter time.Duration `yaml:"escalate_after"`
	// MaxRepeats bounds the repeats. Defaults to 3.
	MaxRepeats int `yaml:"max_repeats"`
}

// Desk is a compiled DeskConfig.
type Desk struct {
	cfg       DeskConfig
	loc       *time.Location
	router    *routing.Router
	calendars map[string]*calendar.Calendar
	policies  []policyRule
	types     []ticketType
}

type policyRule struct {
	when   *cond.Cond
	policy sla.Policy
}

type ticketType struct {
	TypeConfig
	when *cond.Cond
}

// NewDesk checks and compiles cfg; errors name what is wrong where.
func NewDesk(cfg DeskConfig) (*Desk, error) {
	cfg.applyDefaults()
	d := &Desk{cfg: cfg, calendars: map[string]*calendar.Calendar{"24x7": calendar.Always()}}
	var err error
	if d.loc, err = time.LoadLocation(cfg.TimeZone); err != nil {
		return nil, fmt.Errorf("desk: time_zone: %w", err)
	}
	shifts := map[string]routing.Shift{}
	for _, cc := range cfg.Calendars {
		cal, err := calendar.New(cc)
		if err != nil {
			return nil, fmt.Errorf("desk: %w", err)
		}
		d.calendars[cal.Name()] = cal
		shifts[cal.Name()] = cal
	}
	if d.router, err = routing.New(cfg.Config, shifts); err != nil {
		return nil, fmt.Errorf("desk: %w", err)
	}
	if err := d.compilePolicies(); err != nil {
		return nil, err
	}
	return d, d.compileTypes()
}

func (c *DeskConfig) applyDefaults() {
	if c.TimeZone == "" {
		c.TimeZone = "Asia/Shanghai"
	}
	p := &c.Paging
	setDefault(&p.RepeatAfter, 5*time.Minute)
	setDefault(&p.EscalateAfter, 15*time.Minute)
	setDefault(&p.MaxRepeats, 3)
	c.Asking.applyDefaults()
}

func (d *Desk) compilePolicies() error {
	for i, pc := range d.cfg.Policies {
		if pc.Name == "" {
			return fmt.Errorf("desk: sla policy %d has no name", i+1)
		}
		if pc.Calendar == "" {
			pc.Calendar = "24x7"
		}
		if d.calendars[pc.Calendar] == nil {
			return fmt.Errorf("desk: sla policy %q: no calendar %q", pc.Name, pc.Calendar)
		}
		if err := pc.Policy.Validate(); err != nil {
			return fmt.Errorf("desk: sla policy %q: %w", pc.Name, err)
		}
		when, err := cond.Compile("sla policy "+pc.Name, pc.When)
		if err != nil {
			return fmt.Errorf("desk: %w", err)
		}
		d.policies = append(d.policies, policyRule{when: when, policy: pc.Policy})
	}
	return nil
}

func (d *Desk) compileTypes() error {
	for _, tc := range d.cfg.Types {
		if tc.Name == "" {
			return errors.New("desk: a ticket type has no name")
		}
		when, err := cond.Compile("ticket type "+tc.Name, tc.When)
		if err != nil {
			return fmt.Errorf("desk: %w", err)
		}
		seen := map[string]bool{}
		for _, st := range tc.Stages {
			if st.Name == "" || seen[st.Name] {
				return fmt.Errorf("desk: ticket type %q: each stage needs a name of its own (%q)", tc.Name, st.Name)
			}
			seen[st.Name] = true
			if _, ok := d.router.Group(st.Group); !ok {
				return fmt.Errorf("desk: ticket type %q: stage %q: no group %q", tc.Name, st.Name, st.Group)
			}
		}
		d.types = append(d.types, ticketType{TypeConfig: tc, when: when})
	}
	return nil
}

// missingNotifiers lists the notifiers the desk names that are not in
// known: notices through them are not sent.
func (d *Desk) missingNotifiers(known []string) []string {
	names := slices.Concat(d.cfg.Notify.Via, d.cfg.Notify.Urgent)
	for _, r := range d.cfg.Rules {
		for _, n := range r.Notify {
			names = append(names, n.Via...)
		}
	}
	var missing []string
	for _, n := range names {
		if !slices.Contains(known, n) && !slices.Contains(missing, n) {
			missing = append(missing, n)
		}
	}
	return missing
}

// Location is the desk's time zone (time_zone).
func (d *Desk) Location() *time.Location { return d.loc }

// businessHours is the calendar of business_hours in conditions.
func (d *Desk) businessHours() *calendar.Calendar {
	name := d.cfg.BusinessHours
	if name == "" && len(d.cfg.Calendars) > 0 {
		name = d.cfg.Calendars[0].Name
	}
	return d.calendar(name)
}

// policy is the SLA policy for env, or false when none applies.
func (d *Desk) policy(env cond.Env) (sla.Policy, *calendar.Calendar, bool) {
	for _, p := range d.policies {
		if ok, _ := p.when.Eval(env); ok {
			return p.policy, d.calendar(p.policy.Calendar), true
		}
	}
	return sla.Policy{}, nil, false
}

// calendar returns a calendar by name; unknown names (a policy since
// removed from the config) count around the clock.
func (d *Desk) calendar(name string) *calendar.Calendar {
	if c := d.calendars[name]; c != nil {
		return c
	}
	return calendar.Always()
}

// ticketType is the type named, or else the first whose condition matches.
func (d *Desk) ticketType(name string, env cond.Env) (ticketType, bool) {
	for _, t := range d.types {
		if name != "" && t.Name == name {
			return t, true
		}
	}
	if name != "" {
		return ticketType{}, false
	}
	for _, t := range d.types {
		if ok, _ := t.when.Eval(env); ok && t.when.Source() != "" {
			return t, true
		}
	}
	return ticketType{}, false
}

// stage returns the stage of a type by name and its index.
func (t ticketType) stage(name string) (StageConfig, int, bool) {
	for i, st := range t.Stages {
		if st.Name == name {
			return st, i, true
		}
	}
	return StageConfig{}, -1, false
}
