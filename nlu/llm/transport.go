package llm

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// go-openai turns a 429 into an error without the response headers, so the
// Retry-After the server sent would be lost. hintingDoer sits between the
// client and the http.Client and leaves it in the retryHint the call put in
// the request's context.
type hintingDoer struct {
	next *http.Client
	now  func() time.Time
}

type retryHintKey struct{}

// retryHint is how long the server asked to wait; zero when it did not.
type retryHint struct{ after time.Duration }

func withRetryHint(ctx context.Context, h *retryHint) context.Context {
	return context.WithValue(ctx, retryHintKey{}, h)
}

func (d hintingDoer) Do(req *http.Request) (*http.Response, error) {
	resp, err := d.next.Do(req)
	if err != nil || resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode < 500 {
		return resp, err
	}
	if h, ok := req.Context().Value(retryHintKey{}).(*retryHint); ok {
		h.after = retryAfter(resp.Header.Get("Retry-After"), d.now())
	}
	return resp, err
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
