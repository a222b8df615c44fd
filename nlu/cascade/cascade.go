package cascade

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/loopdesk/loopdesk/nlu"
)

// Names of the cascade as configured (nlu.extractor).
const (
	NameCascade = "cascade"
	NameLLM     = "llm" // Always mode
)

// Config configures the cascade. Rules and LLM are required; every other
// zero field means its default.
type Config struct {
	// Rules reads every message first. Its results are the fallback.
	Rules nlu.Extractor
	// LLM is asked when the rules are unsure, a required field is
	// missing, or always (Always). Its errors become Fallback reasons
	// (nlu.FallbackReason).
	LLM nlu.Extractor
	// MinConfidence: a rules result whose Confidence is below it goes to
	// the LLM. Defaults to 0.6, which on the labeled sets sends about a
	// fifth of the messages and every one the rules got wrong; negative
	// means confidence alone never does.
	MinConfidence float64
	// Required lists per intent the field keys its tickets need (refund →
	// order_id); a rules result of that intent missing one goes to the LLM
	// for the fields.
	Required map[string][]string
	// Always asks the LLM for every message and takes its intent; the
	// rules' fields and priority rules still apply (see Extract).
	Always bool
	// CacheSize bounds the cache of LLM results, keyed by the message's
	// normalized text. Defaults to 1024; negative disables it.
	CacheSize int
}

// Stats counts what the cascade did since New.
type Stats struct {
	// Messages extracted.
	Messages int64
	// Consulted is how many went to the LLM (cache hits included).
	Consulted int64
	// CacheHits were answered from the cache without a call.
	CacheHits int64
	// Fallbacks returned the rules' result because the LLM failed.
	Fallbacks int64
}

// Extractor is the cascade. It is safe for concurrent use.
type Extractor struct {
	cfg   Config
	cache *lru // nil: no cache

	messages, consulted, hits, fallbacks atomic.Int64
}

var _ nlu.Extractor = (*Extractor)(nil)

// New checks cfg and applies its defaults.
func New(cfg Config) (*Extractor, error) {
	if cfg.Rules == nil || cfg.LLM == nil {
		return nil, errors.New("cascade: both the rules and the LLM extractor are required")
	}
	switch {
	case cfg.MinConfidence == 0:
		cfg.MinConfidence = 0.6
	case cfg.MinConfidence > 1:
		return nil, fmt.Errorf("cascade: min confidence %.2f is above 1", cfg.MinConfidence)
	}
	if cfg.CacheSize == 0 {
		cfg.CacheSize = 1024
	}
	e := &Extractor{cfg: cfg}
	if cfg.CacheSize > 0 {
		e.cache = newLRU(cfg.CacheSize)
	}
	return e, nil
}

// Name is the cascade's configuration name: "cascade", or "llm" in Always mode.
func (e *Extractor) Name() string {
	if e.cfg.Always {
		return NameLLM
	}
	return NameCascade
}

// Stats returns the counts since New.
func (e *Extractor) Stats() Stats {
	return Stats{Messages: e.messages.Load(), Consulted: e.consulted.Load(),
		CacheHits: e.hits.Load(), Fallbacks: e.fallbacks.Load()}
}

// Extract runs the rules, then the LLM when needed (see Config), and
// merges the two (see merge). It fails only when ctx is done before the
// rules ran, or when the rules and the LLM both fail.
func (e *Extractor) Extract(ctx context.Context, req nlu.Request) (nlu.Extraction, error) {
	e.messages.Add(1)
	rules, rerr := e.cfg.Rules.Extract(ctx, req)
	if rerr != nil && ctx.Err() != nil {
		return nlu.Extraction{}, rerr
	}
	if rerr == nil && !e.needsLLM(rules) {
		return rules, nil
	}
	e.consulted.Add(1)
	model, err := e.askLLM(ctx, req)
	switch {
	case err != nil && rerr != nil:
		return nlu.Extraction{}, fmt.Errorf("cascade: rules: %w; llm: %w", rerr, err)
	case err != nil:
		e.fallbacks.Add(1)
		rules.Fallback = nlu.FallbackReason(err)
		return rules, nil
	case rerr != nil:
		// The rules failed: the model's reading is all there is, under the
		// same priority policy as always (normal is the rules' default).
		// merge also copies it, and the cache holds the original.
		return merge(nlu.Extraction{Priority: nlu.PriorityNormal, Lang: model.Lang}, model, true), nil
	}
	return merge(rules, model, e.cfg.Always || rules.Confidence < e.cfg.MinConfidence), nil
}

// needsLLM reports whether a rules result should go to the LLM.
func (e *Extractor) needsLLM(r nlu.Extraction) bool {
	if e.cfg.Always || r.Confidence < e.cfg.MinConfidence {
		return true
	}
	for _, k := range e.cfg.Required[r.Intent] {
		if _, ok := r.Fields[k]; !ok {
			return true
		}
	}
	return false
}

// askLLM answers from the cache or asks the LLM, caching successes only:
// a failure may be gone on the next message.
func (e *Extractor) askLLM(ctx context.Context, req nlu.Request) (nlu.Extraction, error) {
	key := cacheKey(req.Text)
	if e.cache != nil {
		if ex, ok := e.cache.get(key); ok {
			e.hits.Add(1)
			return ex, nil
		}
	}
	ex, err := e.cfg.LLM.Extract(ctx, req)
	if err == nil && e.cache != nil {
		e.cache.put(key, ex)
	}
	return ex, err
}
