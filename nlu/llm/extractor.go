package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	openai "github.com/sashabaranov/go-openai"

	"github.com/loopdesk/loopdesk/nlu"
	"github.com/loopdesk/loopdesk/prompts"
)

// Extractor asks an OpenAI-compatible server to read a message. It is
// immutable after New apart from its breaker and counters, and safe for
// concurrent use.
type Extractor struct {
	cfg        Config
	client     *openai.Client
	schema     json.RawMessage
	schemaText string // in the prompt in json_object mode
	intents    map[string]bool
	priorities map[string]bool
	fields     []fieldCheck
	byKey      map[string]fieldCheck
	shots      []shot
	sem        chan struct{} // nil: no concurrency limit
	extraction lane
	summaries  lane
	metrics    *metrics
}

var _ nlu.Extractor = (*Extractor)(nil)

// New applies cfg's defaults, validates it, renders the prompt once to
// catch template errors at start-up, and registers the metrics.
func New(cfg Config) (*Extractor, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	oc := openai.DefaultConfig(cfg.APIKey)
	if cfg.BaseURL != "" {
		oc.BaseURL = cfg.BaseURL
	}
	oc.HTTPClient = hintingDoer{next: cfg.HTTPClient, now: cfg.Now}
	e := &Extractor{cfg: cfg, client: openai.NewClientWithConfig(oc),
		intents:    set(cfg.Intents),
		priorities: set(cfg.Priorities),
		byKey:      map[string]fieldCheck{},
		extraction: lane{breaker: newBreaker(cfg.Breaker, cfg.Now), timeout: cfg.Timeout},
		summaries:  lane{breaker: newBreaker(cfg.Breaker, cfg.Now), timeout: cfg.SummaryTimeout},
	}
	for _, f := range cfg.Fields {
		c := newFieldCheck(f)
		e.fields = append(e.fields, c)
		e.byKey[f.Key] = c
	}
	if cfg.MaxConcurrent > 0 {
		e.sem = make(chan struct{}, cfg.MaxConcurrent)
	}
	var err error
	if e.schema, err = encodeSchema(buildSchema(cfg.Intents, cfg.Priorities, cfg.Fields)); err != nil {
		return nil, err
	}
	if cfg.Mode == ModeJSONObject {
		e.schemaText = string(e.schema)
	}
	if e.shots, err = e.prepareShots(cfg.Examples); err != nil {
		return nil, fmt.Errorf("llm: examples: %w", err)
	}
	if _, err := e.prompt("test", e.pick("test", e.cfg.ExamplesK)); err != nil {
		return nil, fmt.Errorf("llm: %w", err)
	}
	if _, err := prompts.Render(cfg.RepairPrompt, prompts.Repair{Problem: "test", Schema: e.schemaText}); err != nil {
		return nil, fmt.Errorf("llm: %w", err)
	}
	if e.metrics, err = newMetrics(cfg.Registerer); err != nil {
		return nil, err
	}
	return e, nil
}

func set(names []string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// Name is the extractor's name, "llm".
func (e *Extractor) Name() string { return Name }

// Usage returns the calls and tokens spent since New.
func (e *Extractor) Usage() Usage { return e.metrics.usage() }

// Extract asks the model to read req.Text. Every error is an
// *nlu.ExtractError whose Reason says why (nlu.FallbackReason), and is
// counted in loopdesk_llm_fallbacks_total: the caller falls back on it.
func (e *Extractor) Extract(ctx context.Context, req nlu.Request) (nlu.Extraction, error) {
	ex, err := e.extract(ctx, req)
	if err != nil {
		e.metrics.fallbacks.WithLabelValues(nlu.FallbackReason(err)).Inc()
		return nlu.Extraction{}, err
	}
	return ex, nil
}

// acquire takes a place among the calls in flight, or reports that none
// is free: past MaxConcurrent a call fails at once instead of queueing.
func (e *Extractor) acquire() (release func(), ok bool) {
	if e.sem == nil {
		return func() {}, true
	}
	select {
	case e.sem <- struct{}{}:
		return func() { <-e.sem }, true
	default:
		return nil, false
	}
}

func (e *Extractor) extract(ctx context.Context, req nlu.Request) (nlu.Extraction, error) {
	release, ok := e.acquire()
	if !ok {
		return nlu.Extraction{}, &nlu.ExtractError{Reason: nlu.FallbackBusy, Err: errBusy}
	}
	defer release()
	masked, ps := e.mask(req.Text)
	p, err := e.prompt(masked, e.pick(req.Text, e.cfg.ExamplesK))
	if err != nil {
		return nlu.Extraction{}, &nlu.ExtractError{Reason: nlu.FallbackError, Err: err}
	}
	a, err := e.ask(ctx, e.request(p))
	if err != nil {
		return nlu.Extraction{}, err
	}
	return e.validate(a, req.Text, ps)
}

// prompt renders the extraction prompt for a masked message.
func (e *Extractor) prompt(masked string, examples []prompts.Example) (prompts.Prompt, error) {
	data := prompts.Extract{Schema: e.schemaText, Text: masked, Examples: examples}
	for _, n := range e.cfg.Intents {
		data.Intents = append(data.Intents, prompts.Choice{Name: n, Description: oneLine(e.cfg.IntentHelp[n])})
	}
	for _, n := range e.cfg.Priorities {
		data.Priorities = append(data.Priorities, prompts.Choice{Name: n, Description: oneLine(e.cfg.PriorityHelp[n])})
	}
	for _, f := range e.fields {
		data.Fields = append(data.Fields, prompts.Choice{Name: f.Key, Description: oneLine(f.Description)})
	}
	return prompts.Render(e.cfg.Prompt, data)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
