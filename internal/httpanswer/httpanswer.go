// Package httpanswer reads what an HTTP peer answered to a request
// loopdesk made (an API-channel callback, a notifier's webhook) in the
// outbox's terms: delivered, try again (when the peer says), or give up.
// Retries themselves are the dispatcher's.
//
// It imports only the channels contract and the standard library.
package httpanswer

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/loopdesk/loopdesk/channels"
)

const (
	// MaxRetryAfter bounds the wait a peer can ask for, so a bogus
	// Retry-After cannot park a message for years.
	MaxRetryAfter = 24 * time.Hour
	// maxSnippet is how much of an error answer goes into the error.
	maxSnippet = 256
	// maxDrain is how much of an answer is read so the connection can be reused.
	maxDrain = 64 << 10
)

// StatusError is a peer's answer other than 2xx.
type StatusError struct {
	Code    int
	Status  string // "400 Bad Request"
	Snippet string // the start of the body, on one printable line
}

func (e *StatusError) Error() string {
	if e.Snippet == "" {
		return "receiver answered " + e.Status
	}
	return fmt.Sprintf("receiver answered %s: %s", e.Status, e.Snippet)
}

// Classify reads resp: nil for 2xx; for 429 or 503 with a Retry-After, a
// channels.RetryAfter error; for 408, 425, 429 and 5xx a plain (retryable)
// error; for any other answer — other 4xx, and 3xx since redirects are not
// followed — channels.Permanent, as repeating the request would fail the
// same way. redact, when not nil, cleans the body snippet (a peer may echo
// the request). now dates Retry-After.
func Classify(resp *http.Response, now time.Time, redact func(string) string) error {
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return nil
	}
	status := resp.Status
	if status == "" {
		status = strconv.Itoa(code)
	}
	snippet := readSnippet(resp.Body)
	if redact != nil {
		snippet = redact(snippet)
	}
	var err error = &StatusError{Code: code, Status: status, Snippet: snippet}
	switch {
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		if d, ok := RetryAfter(resp.Header.Get("Retry-After"), now); ok {
			return channels.RetryAfter(err, d)
		}
		return err
	case code == http.StatusRequestTimeout || code == http.StatusTooEarly || code >= 500:
		return err
	}
	return channels.Permanent(err)
}

// RetryAfter parses a Retry-After value, delay seconds or an HTTP date,
// bounded by MaxRetryAfter.
func RetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if secs, err := strconv.ParseUint(v, 10, 64); err == nil {
		d = MaxRetryAfter
		if secs < uint64(MaxRetryAfter/time.Second) {
			d = time.Duration(secs) * time.Second
		}
	} else if errors.Is(err, strconv.ErrRange) {
		d = MaxRetryAfter
	} else if t, err := http.ParseTime(v); err == nil {
		d = max(t.Sub(now), 0)
	} else {
		return 0, false
	}
	return min(d, MaxRetryAfter), true
}

// readSnippet reads the start of an error answer as one printable line.
func readSnippet(body io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(body, maxSnippet))
	s := strings.ToValidUTF8(string(b), "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// Close reads what is left of an answer, within bounds, so the connection
// can be reused, and closes it.
func Close(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, maxDrain))
	_ = body.Close()
}

// WithoutURL drops the URL the HTTP client puts into its errors: its path
// or query may hold the peer's credentials.
func WithoutURL(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}
