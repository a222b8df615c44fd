package webhook

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/internal/httpanswer"
	"github.com/loopdesk/loopdesk/internal/signature"
	"github.com/loopdesk/loopdesk/notify"
)

// Notify posts n to the webhook, signed when a secret is configured.
// A nil error means the receiver answered 2xx. 429 and 503 with Retry-After
// answer channels.RetryAfter; 408, 425, 429, 5xx and network errors are plain
// (retryable) errors; any other answer, and a notice without an id, is
// channels.Permanent. Errors never contain the secret or the URL's path and
// query.
func (n *Notifier) Notify(ctx context.Context, nt notify.Notice) error {
	if nt.ID == "" {
		return channels.Permanent(fmt.Errorf("post %s notification: the notice has no id", n.name))
	}
	body, err := encode(nt)
	if err != nil {
		return channels.Permanent(fmt.Errorf("post %s notification %s: encode: %w", n.name, nt.ID, err))
	}
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.url, bytes.NewReader(body))
	if err != nil {
		return channels.Permanent(fmt.Errorf("post %s notification %s: build request: %w", n.name, nt.ID, httpanswer.WithoutURL(err)))
	}
	ts := strconv.FormatInt(n.now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "loopdesk")
	req.Header.Set("Idempotency-Key", nt.ID)
	req.Header.Set(signature.HeaderDelivery, nt.ID)
	req.Header.Set(signature.HeaderTimestamp, ts)
	if n.secret != "" {
		req.Header.Set(signature.HeaderSignature, signature.Sign(n.secret, ts, body))
	}
	resp, err := n.client.Do(req)
	if err != nil {
		return fmt.Errorf("post %s notification %s to %s: %w", n.name, nt.ID, n.receiver, httpanswer.WithoutURL(err))
	}
	defer httpanswer.Close(resp.Body)
	if err := httpanswer.Classify(resp, n.now(), n.redact); err != nil {
		return fmt.Errorf("post %s notification %s to %s: %w", n.name, nt.ID, n.receiver, err)
	}
	return nil
}
