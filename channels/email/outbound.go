package email

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"regexp"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/loopdesk/loopdesk/channels"
)

// Our Message-IDs: <t-000123.m-OUTBOXID@domain> for mail on a ticket,
// <m-OUTBOXID@domain> otherwise. The ticket makes replies find it; the
// outbox id makes a bounce find the reply it returns, and a retried send
// keeps the same id.
var ourMessageID = regexp.MustCompile(`^(?:t-\d{6,}\.)?m-([0-9A-Za-z._-]+)@(.+)$`)

func (c *Channel) messageID(mb *Mailbox, out channels.Outbound) string {
	id := "m-" + out.ID + "@" + mb.Domain
	if digits, ok := strings.CutPrefix(out.TicketID, "T-"); ok {
		id = "t-" + digits + "." + id
	}
	return id
}

// outboxIDOf is the outbox id in one of our Message-IDs, or "".
func outboxIDOf(messageID, domain string) string {
	m := ourMessageID.FindStringSubmatch(messageID)
	if m == nil || !strings.EqualFold(m[2], domain) {
		return ""
	}
	return m[1]
}

// Send mails a reply to the customer, threaded under their last mail:
// "Re: [#T-000123] subject", In-Reply-To and References, plain text and
// HTML. Acknowledgements are automatic mail (Auto-Submitted:
// auto-replied), at most one per sender in AckWindow.
func (c *Channel) Send(ctx context.Context, out channels.Outbound) error {
	to := out.To.Email
	if to == "" {
		to = out.To.ID
	}
	if rt := out.Meta["reply_to"]; rt != "" && strings.EqualFold(out.Meta["from"], to) {
		to = rt // the customer's own Reply-To; a stranger's mail on the thread cannot redirect replies
	}
	if !strings.Contains(to, "@") {
		return channels.Permanent(fmt.Errorf("email: no address to send to (%q)", to))
	}
	if err := c.rememberThread(ctx, out, to); err != nil {
		return err
	}
	if out.Kind == "ack" {
		if send, err := c.ackAllowed(ctx, to, out.ID); err != nil || !send {
			return err
		}
	}
	mb := c.box(out.Meta["mailbox"])
	raw, err := c.compose(mb, out, to)
	if err != nil {
		return channels.Permanent(err)
	}
	return c.submit(ctx, mb, to, raw)
}

// ackAllowed limits acknowledgements to one per sender per AckWindow, so
// that no mail loop can grow from them. A retried delivery of the same
// acknowledgement is allowed.
func (c *Channel) ackAllowed(ctx context.Context, to, id string) (bool, error) {
	allowed := false
	err := c.deps.State.Update(ctx, "email/ack/"+strings.ToLower(to), func(old []byte) ([]byte, error) {
		var last struct {
			ID    string    `json:"id"`
			Until time.Time `json:"until"`
		}
		_ = json.Unmarshal(old, &last)
		if last.ID != id && c.cfg.Now().Before(last.Until) {
			allowed = false
			return old, nil
		}
		allowed = true
		last.ID, last.Until = id, c.cfg.Now().Add(c.cfg.AckWindow)
		return json.Marshal(last)
	})
	if err == nil && !allowed {
		c.log.Info("acknowledgement not sent: the sender got one recently")
	}
	return allowed, err
}

// rememberThread keeps the ticket's thread for replies that name the
// ticket only in their subject.
func (c *Channel) rememberThread(ctx context.Context, out channels.Outbound, customer string) error {
	if out.TicketID == "" || out.Thread == "" {
		return nil
	}
	return c.deps.State.Update(ctx, ticketThreadKey+out.TicketID, func(old []byte) ([]byte, error) {
		if len(old) > 0 {
			return old, nil
		}
		return json.Marshal(ticketThread{Thread: out.Thread, Customer: strings.ToLower(customer)})
	})
}

var replyPrefix = regexp.MustCompile(`(?i)^\s*((re|fw|fwd|aw|回复|答复|转发)\s*[:：]\s*|\[#T-\d+\]\s*)+`)

// subject is "Re: [#T-000123] " and the customer's subject without its
// own Re:/回复: and ticket token.
func subject(out channels.Outbound) string {
	base := strings.TrimSpace(replyPrefix.ReplaceAllString(out.Meta["subject"], ""))
	token := ""
	if out.TicketID != "" {
		token = "[#" + out.TicketID + "] "
	}
	if base == "" {
		base = "您的工单"
	}
	return "Re: " + token + base
}

// compose writes the reply as a MIME message.
func (c *Channel) compose(mb *Mailbox, out channels.Outbound, to string) ([]byte, error) {
	var h mail.Header
	h.SetDate(c.cfg.Now())
	h.SetAddressList("From", []*mail.Address{{Name: mb.Name, Address: mb.Address}})
	h.SetAddressList("To", []*mail.Address{{Name: out.To.Name, Address: to}})
	h.SetSubject(subject(out))
	h.SetMessageID(c.messageID(mb, out))
	if parent := out.Meta["message_id"]; parent != "" {
		h.SetMsgIDList("In-Reply-To", []string{parent})
	}
	if refs := strings.Fields(out.Meta["references"]); len(refs) > 0 {
		h.SetMsgIDList("References", refs)
	}
	if out.Kind == "ack" || out.Kind == "ask" || out.Kind == "progress" {
		h.Set("Auto-Submitted", "auto-replied") // RFC 3834: no one answers it automatically
	}
	h.Set("X-Loopdesk-Outbox-Id", out.ID)
	var buf bytes.Buffer
	mw, err := mail.CreateWriter(&buf, h)
	if err != nil {
		return nil, fmt.Errorf("compose mail: %w", err)
	}
	iw, err := mw.CreateInline()
	if err != nil {
		return nil, fmt.Errorf("compose mail: %w", err)
	}
	for _, part := range []struct{ ctype, body string }{
		{"text/plain", out.Text},
		{"text/html", "<div>" + strings.ReplaceAll(html.EscapeString(out.Text), "\n", "<br>\n") + "</div>"},
	} {
		var ph mail.InlineHeader
		ph.Set("Content-Type", part.ctype+"; charset=utf-8")
		w, err := iw.CreatePart(ph)
		if err != nil {
			return nil, fmt.Errorf("compose mail: %w", err)
		}
		if _, err := w.Write([]byte(part.body)); err != nil {
			return nil, err
		}
		w.Close()
	}
	iw.Close()
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("compose mail: %w", err)
	}
	return buf.Bytes(), nil
}

// submit hands raw to the SMTP server. A 5xx answer is permanent; a 4xx,
// or a connection that fails, is tried again later.
func (c *Channel) submit(ctx context.Context, mb *Mailbox, to string, raw []byte) error {
	cfg := mb.SMTP
	var cl *smtp.Client
	var err error
	switch cfg.TLS {
	case "tls":
		cl, err = smtp.DialTLS(cfg.Addr, cfg.TLSConfig)
	case "starttls":
		cl, err = smtp.DialStartTLS(cfg.Addr, cfg.TLSConfig)
	default:
		cl, err = smtp.Dial(cfg.Addr)
	}
	if err != nil {
		return fmt.Errorf("smtp connect %s: %w", cfg.Addr, err)
	}
	defer cl.Close()
	stop := context.AfterFunc(ctx, func() { cl.Close() })
	defer stop()
	cl.CommandTimeout, cl.SubmissionTimeout = cfg.Timeout, cfg.Timeout
	if cfg.Username != "" {
		if err := cl.Auth(sasl.NewPlainClient("", cfg.Username, cfg.Password)); err != nil {
			return smtpError("smtp auth", err)
		}
	}
	if err := cl.SendMail(mb.Address, []string{to}, bytes.NewReader(raw)); err != nil {
		return smtpError("smtp send", err)
	}
	_ = cl.Quit()
	return nil
}

func smtpError(what string, err error) error {
	var se *smtp.SMTPError
	if errors.As(err, &se) && se.Code >= 500 {
		return channels.Permanent(fmt.Errorf("%s: %w", what, err))
	}
	return fmt.Errorf("%s: %w", what, err)
}
