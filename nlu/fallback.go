package nlu

import (
	"context"
	"errors"
)

// Reasons a result came from a fallback (Extraction.Fallback). The set is
// small on purpose: each is a label of the loopdesk_llm_fallbacks_total
// metric and of the ticket record, and operators act on each differently.
const (
	// FallbackTimeout: the call did not finish within its timeout (or the
	// caller's context ended first).
	FallbackTimeout = "llm_timeout"
	// FallbackRateLimited: the server answered 429 on every attempt.
	FallbackRateLimited = "llm_http_429"
	// FallbackServerError: the server answered 5xx on every attempt.
	FallbackServerError = "llm_http_5xx"
	// FallbackRejected: the server refused the request with another 4xx
	// (bad API key, unknown model, unsupported response format): a
	// configuration problem, not a passing one.
	FallbackRejected = "llm_http_4xx"
	// FallbackUnreachable: no HTTP answer at all (connection refused, DNS).
	FallbackUnreachable = "llm_unreachable"
	// FallbackInvalidJSON: the answer was not the requested JSON, even
	// after one repair request.
	FallbackInvalidJSON = "llm_invalid_json"
	// FallbackInvalidOutput: the answer was JSON but its intent or
	// priority is not in the configured sets.
	FallbackInvalidOutput = "llm_invalid_output"
	// FallbackTruncated: the answer was cut off (finish_reason "length").
	FallbackTruncated = "llm_truncated"
	// FallbackBreakerOpen: recent calls failed, so the circuit breaker
	// skipped the call.
	FallbackBreakerOpen = "breaker_open"
	// FallbackBusy: the concurrency limit was reached, so the call was
	// skipped rather than queued.
	FallbackBusy = "busy"
	// FallbackError: any other failure.
	FallbackError = "llm_error"
)

// FallbackReasons lists every Fallback* reason, for metrics and docs.
func FallbackReasons() []string {
	return []string{FallbackTimeout, FallbackRateLimited, FallbackServerError, FallbackRejected,
		FallbackUnreachable, FallbackInvalidJSON, FallbackInvalidOutput, FallbackTruncated,
		FallbackBreakerOpen, FallbackBusy, FallbackError}
}

// ExtractError is an extractor failure that says which Fallback reason a
// caller should record when it falls back.
type ExtractError struct {
	// Reason is one of the Fallback* constants.
	Reason string
	Err    error
}

func (e *ExtractError) Error() string {
	if e.Err == nil {
		return "nlu: " + e.Reason
	}
	return "nlu: " + e.Reason + ": " + e.Err.Error()
}

func (e *ExtractError) Unwrap() error { return e.Err }

// FallbackReason is the Fallback reason for an extractor error: the Reason
// of an *ExtractError in its chain; FallbackTimeout when a context ended;
// FallbackError otherwise. It is empty for a nil error.
func FallbackReason(err error) string {
	var ee *ExtractError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ee):
		return ee.Reason
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		return FallbackTimeout
	}
	return FallbackError
}
