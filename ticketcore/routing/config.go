package routing

// Config is the routing part of the desk's configuration. It is plain
// data; New validates it and cmd reads it from YAML.
type Config struct {
	// Groups work tickets together, e.g. after_sales (售后组), finance (财务).
	Groups []Group `yaml:"groups"`
	// Agents are the people who can be assigned tickets.
	Agents []Agent `yaml:"agents"`
	// Rules are evaluated in order for a new ticket. Every matching rule
	// applies; a later match overrides the scalar actions of an earlier one;
	// a matching rule with Stop ends the evaluation.
	Rules []Rule `yaml:"rules"`
	// Escalations raise the priority of a ticket while it waits.
	Escalations []EscalationRule `yaml:"escalations"`
}

// Strategies of assignment inside a group.
const (
	// RoundRobin gives the ticket to the next free member after the one
	// who got the group's previous ticket.
	RoundRobin = "round_robin"
	// LeastOpen gives the ticket to the free member with the fewest open
	// tickets; ties go to the member listed first.
	LeastOpen = "least_open"
)

// Group is a team that tickets are routed to.
type Group struct {
	// Name is referenced by rules, stages and the ticket's group. Required, unique.
	Name string `yaml:"name"`
	// Display is the name shown to people, e.g. 售后组. Defaults to Name.
	Display string `yaml:"display"`
	// Strategy is RoundRobin or LeastOpen. Defaults to RoundRobin.
	Strategy string `yaml:"strategy"`
	// Lead is the agent who receives escalated pages. Optional; need not
	// be a member.
	Lead string `yaml:"lead"`
	// Members are agent names, in the order assignment walks them. At least one.
	Members []string `yaml:"members"`
}

// Agent is a person who works tickets.
type Agent struct {
	// Name is the agent's identity: the same name as the agent's API token
	// and timeline actor. Required, unique.
	Name string `yaml:"name"`
	// Display is the name shown to people, e.g. 李丽. Defaults to Name.
	Display string `yaml:"display"`
	// Capacity is the most active tickets the agent holds at once; 0 means no limit.
	Capacity int `yaml:"capacity"`
	// Shift names the calendar of the agent's working hours. Empty means
	// always on shift.
	Shift string `yaml:"shift"`
	// Notify maps a notifier name (sms, im, email, …) to the agent's
	// address on it, e.g. {sms: "13800138000", im: "alice"}.
	Notify map[string]string `yaml:"notify"`
}

// Rule is one routing rule.
type Rule struct {
	// Name identifies the rule in errors, the timeline and Explain. Required, unique.
	Name string `yaml:"name"`
	// When is a cond expression over the ticket and its contact, e.g.
	// intent == "refund" && contact.tier == "vip". Empty matches every ticket.
	When string `yaml:"when"`
	// Set is what the rule does to a matching ticket.
	Set Actions `yaml:"set"`
	// Notify lists who is told about a matching ticket, and how.
	Notify []Notify `yaml:"notify"`
	// Stop ends the evaluation when the rule matches.
	Stop bool `yaml:"stop"`
}

// Actions are a rule's changes to a ticket. An empty field leaves the
// ticket's value (or an earlier rule's) alone.
type Actions struct {
	// Group is the group the ticket goes to.
	Group string `yaml:"group,omitempty"`
	// Assignee, when not nil, names the agent who gets the ticket; "" clears
	// an assignee chosen by an earlier rule, so the group's strategy picks one.
	Assignee *string `yaml:"assignee,omitempty"`
	// Priority is urgent, high, normal or low.
	Priority string `yaml:"priority,omitempty"`
	// Type is the ticket type, e.g. refund; a staged type starts its first stage.
	Type string `yaml:"type,omitempty"`
	// Tags are added to the ticket's tags; they never remove one.
	Tags []string `yaml:"tags,omitempty"`
}

// Notification targets (Notify.To), besides AgentTarget + name.
const (
	ToGroup    = "group"    // every member of the ticket's group
	ToAssignee = "assignee" // the ticket's assignee
	ToLead     = "lead"     // the lead of the ticket's group
	// AgentTarget prefixes one named agent: agent:alice.
	AgentTarget = "agent:"
)

// Notify is one notification a rule asks for.
type Notify struct {
	// To is ToGroup, ToAssignee, ToLead or AgentTarget + an agent name.
	To string `yaml:"to"`
	// Via names the notifiers to use (sms, im, …), all at once. At least one.
	Via []string `yaml:"via"`
	// Page marks an urgent page: repeated until acknowledged, then
	// escalated to the group lead (the notifier's job, not routing's).
	Page bool `yaml:"page,omitempty"`
	// Rule is set in a Decision: the rule that asked for this notification.
	Rule string `yaml:"-"`
}

// EscalationRule raises the priority of a waiting ticket. A rule without
// AtSLAFraction is checked on every customer message; one with it, when a
// running response target has used that fraction of its budget.
type EscalationRule struct {
	// Name identifies the rule in errors and in the escalation's reason. Required, unique.
	Name string `yaml:"name"`
	// When is a cond expression, e.g. waiting >= 3. Empty always holds.
	When string `yaml:"when"`
	// AtSLAFraction, in (0, 1], makes this an SLA rule: it fires when the
	// running response target reaches this fraction of its budget.
	AtSLAFraction float64 `yaml:"at_sla_fraction,omitempty"`
	// Raise is how many levels to go up (normal→high is 1). Exactly one of
	// Raise and RaiseTo is set.
	Raise int `yaml:"raise,omitempty"`
	// RaiseTo is the priority to go up to; a ticket already at or above it
	// is left alone.
	RaiseTo string `yaml:"raise_to,omitempty"`
}
