package llm

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Usage is what the extractor has spent since New: calls to the server
// (every attempt, retries and repairs included) and the tokens the server
// reported. `loopdesk nlu eval` divides it by the messages scored.
type Usage struct {
	Calls            int64
	PromptTokens     int64
	CompletionTokens int64
}

// Results of one call (loopdesk_llm_calls_total{result}): "ok", or a
// Fallback reason without its "llm_" prefix (timeout, http_429, http_5xx,
// http_4xx, unreachable, invalid_json, truncated, error).
const resultOK = "ok"

// fieldUnknown is the dropped-field label of keys the configuration does
// not have: model output must not create label values.
const fieldUnknown = "unknown"

type metrics struct {
	calls, fallbacks, tokens, dropped *prometheus.CounterVec

	nCalls, nPrompt, nCompletion atomic.Int64
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	vec := func(name, help, label string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{label})
	}
	m := &metrics{
		calls: vec("loopdesk_llm_calls_total",
			"Calls to the LLM server, by result: ok, timeout, http_429, http_5xx, http_4xx, unreachable, invalid_json, truncated, error.", "result"),
		fallbacks: vec("loopdesk_llm_fallbacks_total",
			"Extractions the LLM could not make, so the caller fell back, by reason.", "reason"),
		tokens: vec("loopdesk_llm_tokens_total",
			"Tokens the LLM server reported, by kind: prompt or completion.", "kind"),
		dropped: vec("loopdesk_llm_fields_dropped_total",
			"Field values from the LLM dropped because they are not written in the customer's text (or the field is unknown), by field.", "field"),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.calls, m.fallbacks, m.tokens, m.dropped} {
		if err := reg.Register(c); err != nil {
			var already prometheus.AlreadyRegisteredError
			if errors.As(err, &already) {
				return nil, fmt.Errorf("llm: metrics are already registered (one llm extractor per registry): %w", err)
			}
			return nil, fmt.Errorf("llm: register metrics: %w", err)
		}
	}
	return m, nil
}

// call counts one call to the server and the tokens it reported.
func (m *metrics) call(result string, prompt, completion int) {
	m.calls.WithLabelValues(result).Inc()
	m.nCalls.Add(1)
	if prompt > 0 {
		m.tokens.WithLabelValues("prompt").Add(float64(prompt))
		m.nPrompt.Add(int64(prompt))
	}
	if completion > 0 {
		m.tokens.WithLabelValues("completion").Add(float64(completion))
		m.nCompletion.Add(int64(completion))
	}
}

func (m *metrics) usage() Usage {
	return Usage{Calls: m.nCalls.Load(), PromptTokens: m.nPrompt.Load(), CompletionTokens: m.nCompletion.Load()}
}
