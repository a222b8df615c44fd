package email

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/loopdesk/loopdesk/channels"
)

// ticketThreadKey + ticket id → the thread of the ticket's conversation,
// recorded when we send on it, so that a reply naming the ticket only by
// "[#T-000123]" in its subject finds it.
const ticketThreadKey = "email/ticket/"

// inbound reads one raw mail into a message for the core. ok is false for
// mail that must not become one: automatic mail (a bounce marks the reply
// it returns failed), mail without a sender, our own mail come back.
func (c *Channel) inbound(ctx context.Context, mb *Mailbox, raw []byte, uid uint32) (channels.Message, bool, error) {
	m, err := safeRead(raw, ReadOptions{Domain: mb.Domain, MaxAttachment: c.cfg.MaxAttachment})
	if err != nil {
		c.log.Warn("skipped mail that cannot be read", "uid", uid, "err", err)
		return channels.Message{}, false, nil
	}
	if m.Auto {
		return channels.Message{}, false, c.automatic(ctx, mb, m)
	}
	if m.From == "" || c.ours(m.From) || outboxIDOf(m.MessageID, mb.Domain) != "" {
		c.log.Info("skipped mail without a sender, or ours come back", "uid", uid)
		return channels.Message{}, false, nil
	}
	thread, err := c.threadOf(ctx, mb, m)
	if err != nil {
		return channels.Message{}, false, err
	}
	// Our reply's References are these and the mail's own id. A client
	// that sent only In-Reply-To names its parent there (RFC 5322 §3.6.4):
	// without it our reply would lose the start of the thread.
	refs := m.References
	if len(refs) == 0 && len(m.InReplyTo) == 1 {
		refs = m.InReplyTo
	}
	// The key is the sender's Message-ID (another sender reusing it must
	// not silence this one), or without one the mail itself: the same
	// mail read again after a crash or a new UIDVALIDITY is the same key.
	key := m.From + " " + m.MessageID
	if m.MessageID == "" {
		sum := sha256.Sum256(raw)
		key = "sha256:" + hex.EncodeToString(sum[:])
	}
	msg := channels.Message{Channel: channels.Email, ExternalID: safeID(key), Thread: safeID(thread),
		From: channels.Party{ID: m.From, Name: m.FromName, Email: m.From},
		Text: c.text(m), SentAt: m.Date,
		Meta: map[string]string{"message_id": m.MessageID, "subject": m.Subject,
			"references": strings.Join(append(slices.Clone(refs), m.MessageID), " "),
			"mailbox":    mb.Address, "from": m.From},
		Group: mb.Group}
	if m.MessageID == "" {
		msg.Meta["references"] = strings.Join(refs, " ")
	}
	if m.ReplyTo != "" {
		msg.Meta["reply_to"] = m.ReplyTo
	}
	for _, a := range m.Attachments {
		att := channels.Attachment{Filename: a.Filename, ContentType: a.ContentType, Size: a.Size, Data: a.Data}
		if a.Skipped {
			att.NotFetched = fmt.Sprintf("over the mailbox's limit of %d MiB", c.cfg.MaxAttachment>>20)
		}
		msg.Attachments = append(msg.Attachments, att)
	}
	return msg, true, nil
}

// ours reports whether address is one of our mailboxes (our own mail come
// back must not start a conversation with ourselves).
func (c *Channel) ours(address string) bool {
	for _, mb := range c.boxes {
		if mb.Address == address {
			return true
		}
	}
	return false
}

// text is what the ticket shows: what the customer newly wrote (all of it
// when they only forwarded something), after the subject for a new
// conversation.
func (c *Channel) text(m Mail) string {
	text := m.NewText
	if strings.TrimSpace(text) == "" {
		text = m.Text
	}
	if m.ThreadTicket == "" && strings.TrimSpace(m.Subject) != "" {
		text = "Subject: " + m.Subject + "\n\n" + text
	}
	if strings.TrimSpace(text) == "" {
		text = "(空邮件)"
	}
	return text
}

// threadOf is the conversation a mail belongs to: the ticket's, when the
// mail names one we know (by our Message-IDs in its headers, or by the
// subject's [#T-000123] from the ticket's own customer: anyone can type a
// ticket number); else the first message of its References (the mail that
// started the conversation), else its own Message-ID.
func (c *Channel) threadOf(ctx context.Context, mb *Mailbox, m Mail) (string, error) {
	if m.ThreadTicket != "" {
		raw, err := c.deps.State.Get(ctx, ticketThreadKey+m.ThreadTicket)
		if err != nil {
			return "", fmt.Errorf("find the thread of %s: %w", m.ThreadTicket, err)
		}
		var known ticketThread
		_ = json.Unmarshal(raw, &known)
		if known.Thread != "" && (answersUs(m, mb.Domain) || strings.EqualFold(known.Customer, m.From)) {
			return known.Thread, nil
		}
	}
	for _, ids := range [][]string{m.References, m.InReplyTo, {m.MessageID}} {
		if len(ids) > 0 && ids[0] != "" {
			return ids[0], nil
		}
	}
	return m.From, nil
}

// answersUs reports whether a mail's In-Reply-To or References name one
// of our Message-IDs: it answers mail we sent.
func answersUs(m Mail, domain string) bool {
	for _, id := range append(slices.Clone(m.InReplyTo), m.References...) {
		if outboxIDOf(id, domain) != "" {
			return true
		}
	}
	return false
}

// ticketThread is what the channel remembers of a ticket it wrote on.
type ticketThread struct {
	Thread   string `json:"thread"`
	Customer string `json:"customer"`
}

// maxID is the longest id or thread kept as the sender wrote it; longer
// ones, and ones with control characters, are kept as their hash (the
// store takes neither, and one mail must not stop the mailbox).
const maxID = 512

func safeID(id string) string {
	if len(id) <= maxID && !strings.ContainsFunc(id, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// safeRead is Read that turns a panic of the reader into an error: one
// mail must not crash loopdesk again at every restart.
func safeRead(raw []byte, opt ReadOptions) (m Mail, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the mail could not be read: %v", p)
		}
	}()
	return Read(raw, opt)
}

// automatic handles mail no one may answer: a bounce of our reply marks
// that reply failed on its ticket; everything else is only logged.
func (c *Channel) automatic(ctx context.Context, mb *Mailbox, m Mail) error {
	id := outboxIDOf(m.Bounced, mb.Domain)
	if m.AutoReason != ReasonBounce || id == "" {
		c.log.Info("automatic mail: no ticket, no answer", "reason", m.AutoReason)
		return nil
	}
	reason := "the mail bounced: " + firstLines(m.Text, 3)
	err := c.deps.Reports.DeliveryFailed(ctx, id, reason)
	if errors.Is(err, channels.ErrUnknownMessage) {
		c.log.Info("a bounce of mail loopdesk did not send", "err", err)
		return nil
	}
	return err
}

// firstLines keeps the first n non-empty lines of s, joined by " / ".
func firstLines(s string, n int) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && len(out) < n {
			out = append(out, l)
		}
	}
	return strings.Join(out, " / ")
}
