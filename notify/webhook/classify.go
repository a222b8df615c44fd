package webhook

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/loopdesk/loopdesk/channels"
)

const (
	// maxRetryAfter bounds the wait a receiver can ask for, so a bogus
	// Retry-After cannot park a notice for years.
	maxRetryAfter = 24 * time.Hour
	// maxSnippet is how much of an error answer goes into the error.
	maxSnippet = 256
	// maxDrain is how much of an answer is read so the connection can be reused.
	maxDrain = 64 << 10
)

// statusError is a receiver's answer other than 2xx.
type statusError struct {
	code    int
	status  string
	snippet string
}

func (e *statusError) Error() string {
	if e.snippet == "" {
		return "receiver answered " + e.status
	}
	return fmt.Sprintf("receiver answered %s: %s", e.status, e.snippet)
}

// classify turns a receiver's answer into what the dispatcher acts on.
func (n *Notifier) classify(resp *http.Response) error {
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return nil
	}
	status := resp.Status
	if status == "" {
		status = strconv.Itoa(code)
	}
	var err error = &statusError{code: code, status: status, snippet: n.redact(readSnippet(resp.Body))}
	switch {
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		if d, ok := n.retryAfter(resp.Header.Get("Retry-After")); ok {
			return channels.RetryAfter(err, d)
		}
		return err
	case code == http.StatusRequestTimeout || code == http.StatusTooEarly || code >= 500:
		return err
	default:
		// Other 4xx, and 3xx since redirects are not followed: repeating
		// the same request will fail the same way.
		return channels.Permanent(err)
	}
}

// retryAfter parses a Retry-After value: delay seconds or an HTTP date.
func (n *Notifier) retryAfter(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if secs, err := strconv.ParseUint(v, 10, 64); err == nil {
		d = maxRetryAfter
		if secs < uint64(maxRetryAfter/time.Second) {
			d = time.Duration(secs) * time.Second
		}
	} else if errors.Is(err, strconv.ErrRange) {
		d = maxRetryAfter
	} else if t, err := http.ParseTime(v); err == nil {
		d = max(t.Sub(n.now()), 0)
	} else {
		return 0, false
	}
	return min(d, maxRetryAfter), true
}

// readSnippet reads the start of an error answer as one printable line.
func readSnippet(body io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(body, maxSnippet))
	s := strings.ToValidUTF8(string(b), "")
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// redact blanks out what must not reach an error from an answer that
// echoes the request: the secret and the URL's credentials, path and query.
func (n *Notifier) redact(s string) string {
	for _, v := range n.sensitive {
		s = strings.ReplaceAll(s, v, "[redacted]")
	}
	return s
}

// closeBody reads what is left of an answer, within bounds, so the
// connection can be reused, and closes it.
func closeBody(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, maxDrain))
	_ = body.Close()
}
