package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/loopdesk/loopdesk/nlu"
)

// errBreakerOpen and errBusy are the two refusals that happen before any
// call; both mean the LLM is unavailable right now.
var (
	errBreakerOpen = fmt.Errorf("%w: circuit breaker open after repeated failures", nlu.ErrUnavailable)
	errBusy        = fmt.Errorf("%w: too many calls in flight", nlu.ErrUnavailable)
)

// lane is a kind of call with its own timeout and breaker: summaries,
// long and rare, neither share extraction's per-call timeout nor count
// against its breaker.
type lane struct {
	breaker *breaker
	timeout time.Duration
}

// complete sends req on l, retrying 429 and 5xx answers with backoff.
// Each attempt passes l's breaker and counts in the metrics; a failure is
// an *nlu.ExtractError with the reason of the last attempt.
func (e *Extractor) complete(ctx context.Context, l lane, req openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
	for attempt := 0; ; attempt++ {
		tk, ok := l.breaker.allow()
		if !ok {
			return openai.ChatCompletionResponse{}, &nlu.ExtractError{Reason: nlu.FallbackBreakerOpen, Err: errBreakerOpen}
		}
		resp, hint, err := e.attempt(ctx, l, req, tk)
		if err == nil {
			return resp, nil
		}
		reason := nlu.FallbackReason(err)
		if attempt >= e.cfg.Retries || reason != nlu.FallbackRateLimited && reason != nlu.FallbackServerError {
			return resp, err
		}
		wait, ok := e.backoff(ctx, attempt, hint)
		if !ok {
			return resp, err
		}
		if serr := e.cfg.Sleep(ctx, wait); serr != nil {
			return resp, &nlu.ExtractError{Reason: nlu.FallbackTimeout, Err: fmt.Errorf("waiting to retry: %w", serr)}
		}
	}
}

// attempt is one call with its own timeout. A successful HTTP exchange is
// left for the caller to count (it knows whether the JSON was usable);
// failures are counted here.
func (e *Extractor) attempt(ctx context.Context, l lane, req openai.ChatCompletionRequest, tk ticket) (openai.ChatCompletionResponse, time.Duration, error) {
	hint := &retryHint{}
	callCtx, cancel := context.WithTimeout(withRetryHint(ctx, hint), l.timeout)
	resp, err := e.client.CreateChatCompletion(callCtx, req)
	cancel()
	if err == nil {
		l.breaker.record(tk, succeeded)
		return resp, 0, nil
	}
	reason := classify(err)
	e.metrics.call(strings.TrimPrefix(reason, "llm_"), 0, 0)
	if errors.Is(ctx.Err(), context.Canceled) {
		// The caller gave up (shutting down); the server may be fine. A
		// caller's deadline passing while the server thinks still counts.
		l.breaker.record(tk, abandoned)
	} else {
		l.breaker.record(tk, failed)
	}
	return resp, hint.after, &nlu.ExtractError{Reason: reason, Err: fmt.Errorf("chat completion: %w", err)}
}

// backoff is the wait before retry number attempt+1: the server's
// Retry-After, or the doubling backoff. ok is false when the wait is longer
// than MaxBackoff or than ctx has left: waiting would not help.
func (e *Extractor) backoff(ctx context.Context, attempt int, hint time.Duration) (time.Duration, bool) {
	wait := hint
	if wait == 0 {
		wait = min(e.cfg.Backoff<<attempt, e.cfg.MaxBackoff)
	}
	if wait > e.cfg.MaxBackoff {
		return 0, false
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
		return 0, false
	}
	return wait, true
}

// classify maps a go-openai error to a Fallback reason.
func classify(err error) string {
	status := 0
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case errors.As(err, &apiErr):
		status = apiErr.HTTPStatusCode
	case errors.As(err, &reqErr):
		status = reqErr.HTTPStatusCode
	}
	var urlErr *url.Error
	switch {
	case status == http.StatusTooManyRequests:
		return nlu.FallbackRateLimited
	case status >= 500:
		return nlu.FallbackServerError
	case status >= 400:
		return nlu.FallbackRejected
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		return nlu.FallbackTimeout
	case errors.As(err, &urlErr):
		return nlu.FallbackUnreachable
	}
	return nlu.FallbackError
}
