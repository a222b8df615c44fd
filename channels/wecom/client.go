package wecom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/loopdesk/loopdesk/channels"
)

// DefaultAPIBase is WeCom's API host.
const DefaultAPIBase = "https://qyapi.weixin.qq.com"

// maxAPIResponse bounds a JSON answer of the API (sync_msg pages of 1,000
// messages are the largest, well under this).
const maxAPIResponse = 16 << 20

// client calls the WeCom server API with one access token; every answer
// carries errcode/errmsg, and an answer saying the token is bad is retried
// once with a fresh one.
type client struct {
	base   string
	http   *http.Client
	tokens *tokenSource
}

// apiError is an answer with errcode ≠ 0.
type apiError struct {
	Path string
	Code int
	Msg  string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("wecom %s: errcode %d: %s", e.Path, e.Code, e.Msg)
}

// status is the part of every answer that says how it went.
type status struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// post sends in as JSON to path and decodes the answer into out (which may
// be nil).
func (c *client) post(ctx context.Context, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return channels.Permanent(fmt.Errorf("wecom %s: encode request: %w", path, err))
	}
	build := func(token string) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url(path, token, nil), bytes.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/json; charset=utf-8")
		}
		return req, err
	}
	return c.do(ctx, path, build, func(resp *http.Response) error {
		raw, err := readAnswer(resp, path)
		if err != nil {
			return err
		}
		return decodeAnswer(path, raw, out)
	})
}

// do makes the request built by build and hands the answer to read,
// retrying once with a fresh token when read says WeCom called the token
// invalid or expired.
func (c *client) do(ctx context.Context, path string, build func(token string) (*http.Request, error), read func(*http.Response) error) error {
	for try := 0; ; try++ {
		token, err := c.tokens.Token(ctx)
		if err != nil {
			return err
		}
		req, err := build(token)
		if err != nil { // err would show the URL, token and all
			return channels.Permanent(fmt.Errorf("wecom %s: the request could not be made", path))
		}
		resp, err := c.http.Do(req)
		if err != nil {
			return fmt.Errorf("wecom %s: %w", path, redactURL(err))
		}
		err = read(resp)
		resp.Body.Close()
		var ae *apiError
		if errors.As(err, &ae) && badToken(ae.Code) && try == 0 {
			c.tokens.Invalidate(ctx, token)
			continue
		}
		return err
	}
}

// readAnswer returns the body of a 200 answer.
func readAnswer(resp *http.Response, path string) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIResponse))
	if err != nil {
		return nil, fmt.Errorf("wecom %s: read answer: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		err := fmt.Errorf("wecom %s: HTTP %d", path, resp.StatusCode)
		if resp.StatusCode == http.StatusTooManyRequests {
			return nil, channels.RetryAfter(err, time.Minute)
		}
		return nil, err
	}
	return raw, nil
}

// decodeAnswer reads errcode first: an error answer need not have the
// shape of out.
func decodeAnswer(path string, raw []byte, out any) error {
	var st status
	if err := json.Unmarshal(raw, &st); err != nil {
		return fmt.Errorf("wecom %s: answer is not JSON: %w", path, err)
	}
	if st.ErrCode != 0 {
		return &apiError{Path: path, Code: st.ErrCode, Msg: st.ErrMsg}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("wecom %s: decode answer: %w", path, err)
	}
	return nil
}

func (c *client) url(path, token string, q url.Values) string {
	if q == nil {
		q = url.Values{}
	}
	if token != "" {
		q.Set("access_token", token)
	}
	return c.base + path + "?" + q.Encode()
}

// redactURL keeps access tokens out of errors (and so out of logs):
// *url.Error prints the whole URL.
func redactURL(err error) error {
	if ue, ok := err.(*url.Error); ok {
		u, perr := url.Parse(ue.URL)
		if perr == nil {
			u.RawQuery = ""
			return &url.Error{Op: ue.Op, URL: u.String(), Err: ue.Err}
		}
	}
	return err
}
