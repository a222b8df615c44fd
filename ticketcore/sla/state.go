package sla

import "time"

// Target names. A ticket-type stage has the target StagePrefix + its name.
const (
	FirstResponse = "first_response" // from creation to the first public agent reply
	NextResponse  = "next_response"  // from a customer's message after a reply to the next reply
	Resolution    = "resolution"     // from creation to solved
	StagePrefix   = "stage:"
)

// State is the service-level state of one ticket: the policy that applies
// and the clock of each of its targets. It is plain data, stored with the
// ticket and shown by the API as its "sla".
type State struct {
	Policy   string   `json:"policy"`
	Calendar string   `json:"calendar"`
	Targets  []Target `json:"targets"`
}

// Target is one clock. Time counts only in the calendar's business hours
// and only while the clock runs (Since set): a ticket waiting on the
// customer or a third party pauses it.
type Target struct {
	Name string `json:"name"`
	// Budget is the business time allowed.
	Budget time.Duration `json:"budget"`
	// Used is the business time consumed before Since.
	Used time.Duration `json:"used"`
	// Since is when the clock last started running; zero while it is
	// paused, met or cancelled.
	Since time.Time `json:"since,omitzero"`
	// Due is when the target breaches if the clock keeps running; zero
	// while it does not run.
	Due time.Time `json:"due,omitzero"`
	// Warned lists the warning fractions already announced.
	Warned []float64 `json:"warned,omitempty"`
	// MetAt is when the target was met; BreachedAt when it breached.
	MetAt      time.Time `json:"met_at,omitzero"`
	BreachedAt time.Time `json:"breached_at,omitzero"`
}
