package llm

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loopdesk/loopdesk/nlu"
)

// Name is the value of nlu.Extraction.Extractor and nlu.FieldSource.Extractor
// for results of this extractor.
const Name = "llm"

// DefaultTimeout bounds a call for an extraction unless Config.Timeout says
// otherwise; the caller's own deadline must leave room past it for the
// rules' fallback.
const DefaultTimeout = 8 * time.Second

// Modes of asking for structured output, in order of preference: not every
// server supports each (Config.Mode).
const (
	// ModeJSONSchema sends response_format json_schema with strict: true.
	ModeJSONSchema = "json_schema"
	// ModeTools forces one call of a function whose parameters are the schema.
	ModeTools = "tools"
	// ModeJSONObject sends response_format json_object and puts the schema
	// in the prompt.
	ModeJSONObject = "json_object"
)

// Kinds of field value, which say how a value is normalized and found in
// the customer's text (Field.Kind).
const (
	// KindCode: order, serial and tracking numbers. Upper case, no spaces,
	// no leading '#'; hyphens are ignored when looking for it in the text.
	KindCode = "code"
	// KindPhone: a mobile number, normalized to its digits without a
	// country prefix; spaces and hyphens in the text are ignored.
	KindPhone = "phone"
	// KindEmail: an address, compared case-folded.
	KindEmail = "email"
	// KindAmount: money, normalized to two decimals and compared
	// numerically with every number in the text (Arabic or Chinese
	// numerals, 万, 29块9).
	KindAmount = "amount"
	// KindText: anything else, compared case-folded with runs of space
	// collapsed.
	KindText = "text"
)

// Field is one field the model may fill.
type Field struct {
	// Key is the field key (nlu.FieldOrderID, …).
	Key string
	// Description tells the model what the value is and how to write it.
	Description string
	// Kind is one of the Kind* constants. Defaults to KindText.
	Kind string
	// Pattern, when set, is a regular expression the normalized value must
	// match in full.
	Pattern string
}

// BreakerConfig is the circuit breaker: after Failures failed calls in a
// row it opens and calls are skipped (nlu.FallbackBreakerOpen) for
// Cooldown; then one probe call is let through, which closes it on success
// and opens it again on failure.
type BreakerConfig struct {
	// Failures in a row that open the breaker. Defaults to 5; negative
	// disables the breaker.
	Failures int
	// Cooldown is how long it stays open. Defaults to 30s.
	Cooldown time.Duration
}

// Config configures the extractor. The zero value of every field but Model
// means its default; New validates.
type Config struct {
	// BaseURL is the server's API root, with the path its documentation
	// gives (https://api.deepseek.com/v1, http://localhost:11434/v1).
	// Defaults to OpenAI's.
	BaseURL string
	// APIKey is sent as a bearer token. It is never logged or put in errors.
	APIKey string
	// Model is the model name the server knows. Required.
	Model string
	// Mode is ModeJSONSchema (default), ModeTools or ModeJSONObject.
	Mode string
	// Prompt is the name of the prompt template (package prompts).
	// Defaults to "extract.v1"; RepairPrompt defaults to "repair.v1".
	Prompt       string
	RepairPrompt string
	// Timeout bounds each call to the server. Defaults to 8s.
	Timeout time.Duration
	// SummaryTimeout bounds each call for a summary. Defaults to 30s.
	SummaryTimeout time.Duration
	// Retries is how many times a call answered with 429 or 5xx is
	// repeated. Defaults to 2; negative means none.
	Retries int
	// Backoff is the wait before the first retry, doubling for each next
	// one up to MaxBackoff. A Retry-After header replaces it; one longer
	// than MaxBackoff, or than the time the caller's context has left, ends
	// the retries. Defaults to 500ms and 5s.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// Sleep waits between retries; tests replace it so they do not wait.
	// It returns early with ctx's error. Defaults to a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxConcurrent is how many calls may be in flight at once; past it
	// Extract fails at once with nlu.FallbackBusy instead of queueing, so a
	// slow server cannot pile up goroutines and memory. Defaults to 8;
	// negative means no limit.
	MaxConcurrent int
	// Breaker configures the circuit breaker.
	Breaker BreakerConfig
	// DisableRedaction sends personal data to the server as written. The
	// zero value redacts: phones, emails, ID-card and bank-card numbers
	// are replaced by placeholders and restored in the answer.
	DisableRedaction bool
	// Intents the model may answer. Defaults to nlu.BuiltinIntents().
	Intents []string
	// IntentHelp is one line per intent for the prompt (the rules config's
	// descriptions fit). Defaults to short lines from LABELS.md for the
	// built-in intents.
	IntentHelp map[string]string
	// Priorities the model may answer. Defaults to nlu.Priorities().
	Priorities []string
	// PriorityHelp is one line per priority for the prompt. Defaults to
	// LABELS.md §3 in short.
	PriorityHelp map[string]string
	// Fields the model may fill. Defaults to DefaultFields().
	Fields []Field
	// Examples are labeled messages; the ExamplesK most similar to each
	// message (character bigrams) are shown to the model. Examples whose
	// intent is not in Intents are skipped. Defaults: none, 3.
	Examples  []nlu.Example
	ExamplesK int
	// MaxTokens bounds the answer's length. Defaults to 400; negative
	// sends no bound.
	MaxTokens int
	// HTTPClient sends the requests. Defaults to a new http.Client.
	HTTPClient *http.Client
	// Registerer, when set, gets the loopdesk_llm_* metrics.
	Registerer prometheus.Registerer
	// Now is the clock of the breaker and of Retry-After dates. Defaults
	// to time.Now.
	Now func() time.Time
}

// DefaultFields returns the fields of the labeling guide (nlu.FieldKeys),
// described for the model.
func DefaultFields() []Field {
	known := map[string]Field{
		nlu.FieldOrderID: {Kind: KindCode, Pattern: `\d{12,20}|[A-Z]{2,4}-?\d{6,16}|[A-Z]{2,4}\d+-\d+`,
			Description: "the purchase-order number the customer gives as an order (订单号, order no.): 12–20 digits, " +
				"or 2–4 letters and 6–16 digits with at most one hyphen; upper case, no spaces. " +
				"Not ticket, case, application, invoice or tracking numbers."},
		nlu.FieldPhone: {Kind: KindPhone, Pattern: `1[3-9]\d{9}`,
			Description: "the customer's Chinese mobile number (11 digits starting 13–19), digits only, no +86. " +
				"Not landlines, hotlines or masked numbers."},
		nlu.FieldEmail: {Kind: KindEmail, Pattern: `[^@\s]+@[^@\s]+\.[a-z]{2,}`,
			Description: "the customer's email address, or one they ask us to send something to; lower case. " +
				"Not our own support addresses."},
		nlu.FieldDeviceSN: {Kind: KindCode, Pattern: `[A-Z0-9][A-Z0-9-]{3,}`,
			Description: "the value right after a serial-number label (序列号, SN, S/N, 机身编号, serial number); upper case. " +
				"Not IMEI, MAC, asset tags or model numbers."},
		nlu.FieldTrackingNo: {Kind: KindCode, Pattern: `[A-Z0-9]{8,}`,
			Description: "the parcel tracking number (快递单号, 运单号, tracking number, or SF + 12–13 digits); " +
				"upper case, no spaces. Never also the order_id."},
		nlu.FieldAmount: {Kind: KindAmount, Pattern: `\d+\.\d{2}`,
			Description: "the money amount the request is about, written with a currency marker (¥, 元, 块, $, USD), " +
				"as a plain decimal with two decimals: ¥1,299 → 1299.00, 三千五块 → 3500.00. Not vague amounts."},
	}
	var out []Field
	for _, k := range nlu.FieldKeys() {
		f := known[k]
		f.Key = k
		out = append(out, f)
	}
	return out
}

func defaultIntentHelp() map[string]string {
	return map[string]string{
		nlu.IntentRefund:    "wants money back and no goods go back to us (cancel a paid order, lost parcel, out of stock, price difference)",
		nlu.IntentReturn:    "wants to send goods back, with or without a refund",
		nlu.IntentExchange:  "wants a replacement: other size, colour or model, or a new unit for a faulty one",
		nlu.IntentRepair:    "reports a malfunction of a device, app, website or system that needs fixing",
		nlu.IntentLogistics: "asks about the delivery of an order: not shipped, where is it, change address, missing items",
		nlu.IntentComplaint: "is dissatisfied with staff or service and asks for nothing another intent covers",
		nlu.IntentAccount:   "login, registration, password, verification codes, binding, locked or deleted accounts",
		nlu.IntentBilling:   "payment failed, double or wrong charge, coupon not applied, auto-renewal, invoices and receipts",
		nlu.IntentProgress:  "asks about or pushes a request already submitted (ticket, refund, return, repair application)",
		nlu.IntentConsult:   "asks for information: products, prices, stock, policies, how to use something not broken",
		nlu.IntentFeedback:  "gives suggestions, opinions or praise and asks for no action",
		nlu.IntentOther:     "only a greeting, thanks, chit-chat, spam or text too unclear to act on",
	}
}

func defaultPriorityHelp() map[string]string {
	return map[string]string{
		nlu.PriorityUrgent: "a service is down for many people or a whole business, or a safety hazard is happening (smoke, fire, sparks, leaking gas, swelling battery)",
		nlu.PriorityHigh:   "threatens or took an escalation step (12315, regulator, police, media, lawyer), states a VIP tier, paid 7+ days ago and nothing delivered, or is blocked with a deadline today",
		nlu.PriorityNormal: "everything else; words like 急 or urgent change nothing by themselves",
		nlu.PriorityLow:    "feedback, greetings and general questions not about their own order, item or account",
	}
}

// withDefaults returns cfg with every zero field set to its default.
func (cfg Config) withDefaults() Config {
	set := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	cfg.Mode = cmp.Or(cfg.Mode, ModeJSONSchema)
	cfg.Prompt = cmp.Or(cfg.Prompt, "extract.v1")
	cfg.RepairPrompt = cmp.Or(cfg.RepairPrompt, "repair.v1")
	set(&cfg.Timeout, DefaultTimeout)
	set(&cfg.SummaryTimeout, 30*time.Second)
	set(&cfg.Backoff, 500*time.Millisecond)
	set(&cfg.MaxBackoff, 5*time.Second)
	set(&cfg.Breaker.Cooldown, 30*time.Second)
	cfg.Retries = defaultInt(cfg.Retries, 2)
	cfg.MaxConcurrent = defaultInt(cfg.MaxConcurrent, 8)
	cfg.Breaker.Failures = defaultInt(cfg.Breaker.Failures, 5)
	cfg.ExamplesK = defaultInt(cfg.ExamplesK, 3)
	cfg.MaxTokens = defaultInt(cfg.MaxTokens, 400)
	if cfg.Intents == nil {
		cfg.Intents = nlu.BuiltinIntents()
	}
	if cfg.IntentHelp == nil {
		cfg.IntentHelp = defaultIntentHelp()
	}
	if cfg.Priorities == nil {
		cfg.Priorities = nlu.Priorities()
	}
	if cfg.PriorityHelp == nil {
		cfg.PriorityHelp = defaultPriorityHelp()
	}
	if cfg.Fields == nil {
		cfg.Fields = DefaultFields()
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg
}

// validate checks a Config that has its defaults.
func (cfg Config) validate() error {
	switch {
	case cfg.Model == "":
		return fmt.Errorf("llm: model is required")
	case !slices.Contains([]string{ModeJSONSchema, ModeTools, ModeJSONObject}, cfg.Mode):
		return fmt.Errorf("llm: mode %q is not one of %s, %s, %s", cfg.Mode, ModeJSONSchema, ModeTools, ModeJSONObject)
	case len(cfg.Intents) == 0 || len(cfg.Priorities) == 0:
		return fmt.Errorf("llm: intents and priorities must not be empty")
	case cfg.Timeout < 0 || cfg.SummaryTimeout < 0 || cfg.Backoff < 0 || cfg.MaxBackoff < 0:
		return fmt.Errorf("llm: timeout and backoff must not be negative")
	}
	if cfg.BaseURL != "" {
		if u, err := url.Parse(cfg.BaseURL); err != nil || u.Scheme == "" || u.Host == "" {
			return fmt.Errorf("llm: base URL %q is not an absolute URL", cfg.BaseURL)
		}
	}
	if err := unique("intent", cfg.Intents); err != nil {
		return err
	}
	if err := unique("priority", cfg.Priorities); err != nil {
		return err
	}
	keys := make([]string, 0, len(cfg.Fields))
	for _, f := range cfg.Fields {
		if f.Key == "" {
			return fmt.Errorf("llm: a field has no key")
		}
		if !slices.Contains([]string{"", KindCode, KindPhone, KindEmail, KindAmount, KindText}, f.Kind) {
			return fmt.Errorf("llm: field %s: kind %q is unknown", f.Key, f.Kind)
		}
		if _, err := regexp.Compile(f.Pattern); err != nil {
			return fmt.Errorf("llm: field %s: pattern: %w", f.Key, err)
		}
		keys = append(keys, f.Key)
	}
	return unique("field", keys)
}

func unique(what string, names []string) error {
	seen := map[string]bool{}
	for _, n := range names {
		if n == "" || seen[n] {
			return fmt.Errorf("llm: %s %q is empty or listed twice", what, n)
		}
		seen[n] = true
	}
	return nil
}

// defaultInt maps 0 to the default and any negative value to 0 ("none").
func defaultInt(v, d int) int {
	switch {
	case v == 0:
		return d
	case v < 0:
		return 0
	}
	return v
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
