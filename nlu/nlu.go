package nlu

import (
	"context"
	"errors"
	"slices"
)

// Intents of LABELS.md, in the order the labeling guide lists them.
const (
	IntentRefund    = "refund"
	IntentReturn    = "return"
	IntentExchange  = "exchange"
	IntentRepair    = "repair"
	IntentLogistics = "logistics"
	IntentComplaint = "complaint"
	IntentAccount   = "account"
	IntentBilling   = "billing"
	IntentProgress  = "progress"
	IntentConsult   = "consult"
	IntentFeedback  = "feedback"
	IntentOther     = "other"
)

// Priorities, most pressing first.
const (
	PriorityUrgent = "urgent"
	PriorityHigh   = "high"
	PriorityNormal = "normal"
	PriorityLow    = "low"
)

// Field keys of LABELS.md §4.
const (
	FieldOrderID    = "order_id"
	FieldPhone      = "phone"
	FieldEmail      = "email"
	FieldDeviceSN   = "device_sn"
	FieldTrackingNo = "tracking_no"
	FieldAmount     = "amount"
)

// Languages an extraction reports.
const (
	LangZH = "zh"
	LangEN = "en"
)

// BuiltinIntents returns the intents of the labeling guide. A configured
// extractor may add its own; these are the ones every extractor knows.
func BuiltinIntents() []string {
	return []string{IntentRefund, IntentReturn, IntentExchange, IntentRepair, IntentLogistics,
		IntentComplaint, IntentAccount, IntentBilling, IntentProgress, IntentConsult,
		IntentFeedback, IntentOther}
}

// Priorities returns the priorities, most pressing first.
func Priorities() []string {
	return []string{PriorityUrgent, PriorityHigh, PriorityNormal, PriorityLow}
}

// FieldKeys returns the field keys of the labeling guide.
func FieldKeys() []string {
	return []string{FieldOrderID, FieldPhone, FieldEmail, FieldDeviceSN, FieldTrackingNo, FieldAmount}
}

// ValidPriority reports whether p is one of Priorities.
func ValidPriority(p string) bool { return slices.Contains(Priorities(), p) }

// PriorityRank orders priorities: urgent 0, high 1, normal 2, low 3, unknown 4.
func PriorityRank(p string) int {
	if i := slices.Index(Priorities(), p); i >= 0 {
		return i
	}
	return len(Priorities())
}

// Request is one customer message to read.
type Request struct {
	// Text is the message as received; for email, "Subject: …\n\n" may precede the body.
	Text string
	// Channel is the channel name the message came in on (api, wecom, email, …).
	// Extractors must not let it change a label; it may select a prompt or a threshold.
	Channel string
}

// Extraction is what an extractor read from a message. It only fills this
// schema: it never chooses actions, recipients or permissions.
type Extraction struct {
	// Intent is one of the extractor's configured intents, never empty.
	Intent string
	// Priority is one of Priorities, never empty.
	Priority string
	// Fields maps field keys to normalized values that are written in the text.
	Fields map[string]string
	// Lang is LangZH or LangEN: the language the customer wrote in.
	Lang string
	// Confidence in the intent, 0..1. Callers hand over to a person or a
	// stronger extractor when it is low.
	Confidence float64
	// Reasons says why the priority is what it is (e.g. "H1 escalation threat: 12315"),
	// for the ticket timeline. May be empty.
	Reasons []string
	// Extractor names what decided the intent (rules, llm, …). A cascade
	// reports the extractor whose intent it kept, not its own name.
	Extractor string
	// FieldSources says, per key of Fields, which extractor read the value
	// and how sure it was, for the ticket record. Extractors fill it for
	// every field they return.
	FieldSources map[string]FieldSource
	// Fallback is empty, or one of the Fallback* reasons when this result
	// came from a fallback because the preferred extractor failed (the LLM
	// timed out, its breaker was open, …): the result is still usable.
	Fallback string
}

// FieldSource is where one field value came from.
type FieldSource struct {
	// Extractor names the extractor that read the value (rules, llm).
	Extractor string
	// Confidence that the value is right, 0..1.
	Confidence float64
}

// Extractor reads intent, priority and fields from a customer message.
//
// Implementations are safe for concurrent use. Extract may call the network
// (an LLM); callers never hold a store transaction open while it runs, and ctx
// bounds how long it may take. An error means nothing usable was read; callers
// fall back (to rules, or to intent "other").
type Extractor interface {
	Extract(ctx context.Context, req Request) (Extraction, error)
}

// ErrUnavailable is returned (wrapped) by extractors whose backend cannot be reached.
var ErrUnavailable = errors.New("nlu: extractor unavailable")
