package httpanswer

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels"
)

func answer(code int, retryAfter, body string) *http.Response {
	h := http.Header{}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	return &http.Response{StatusCode: code, Status: http.StatusText(code), Header: h, Body: io.NopCloser(strings.NewReader(body))}
}

func TestClassify(t *testing.T) {
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		code          int
		retryAfter    string
		ok, permanent bool
		wait          time.Duration
		hasWait       bool
	}{
		{code: 200, ok: true}, {code: 204, ok: true},
		{code: 400, permanent: true}, {code: 404, permanent: true}, {code: 301, permanent: true},
		{code: 408}, {code: 425}, {code: 500}, {code: 502},
		{code: 429, retryAfter: "7", wait: 7 * time.Second, hasWait: true},
		{code: 503, retryAfter: now.Add(time.Minute).Format(http.TimeFormat), wait: time.Minute, hasWait: true},
		{code: 503, retryAfter: "99999999999", wait: MaxRetryAfter, hasWait: true},
		{code: 429, retryAfter: "soon"},
	} {
		err := Classify(answer(c.code, c.retryAfter, "line one\nsecret=abc"), now, func(s string) string {
			return strings.ReplaceAll(s, "abc", "[redacted]")
		})
		if (err == nil) != c.ok || channels.IsPermanent(err) != c.permanent {
			t.Errorf("%d: err = %v", c.code, err)
		}
		wait, has := channels.RetryDelay(err)
		if has != c.hasWait || wait != c.wait {
			t.Errorf("%d %q: wait %v %v, want %v %v", c.code, c.retryAfter, wait, has, c.wait, c.hasWait)
		}
		if err != nil && (!strings.Contains(err.Error(), "line one secret=[redacted]") || strings.Contains(err.Error(), "abc")) {
			t.Errorf("%d: error text %q", c.code, err)
		}
	}
}

func TestWithoutURL(t *testing.T) {
	inner := errors.New("connection refused")
	err := WithoutURL(&url.Error{Op: "Post", URL: "https://x.example/hook?token=secret", Err: inner})
	if err != inner {
		t.Errorf("got %v", err)
	}
}
