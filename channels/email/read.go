package email

import (
	"bytes"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// ErrNotMail means the bytes hold no header field at all: nothing in them
// can be read as a mail message. Read wraps it.
var ErrNotMail = errors.New("not a mail message: no header fields")

// Mail is the reading of one raw message: who sent it, what they newly
// wrote, whether it is automatic, and which ticket it continues.
type Mail struct {
	// MessageID is the Message-ID without angle brackets; "" when missing.
	MessageID string
	// InReplyTo and References are the message ids of those fields, without
	// angle brackets, in header order.
	InReplyTo  []string
	References []string
	// From is the sender's address, lowercased; FromName the decoded
	// display name (or the comment of "addr (Name)"), "" when none.
	From     string
	FromName string
	// ReplyTo is the first Reply-To address, lowercased, when the sender
	// asked for replies elsewhere; "" otherwise.
	ReplyTo string
	// Subject is the decoded subject.
	Subject string
	// Date is the Date field; zero when missing or unreadable.
	Date time.Time
	// Text is the whole readable body: the text/plain part (format=flowed
	// decoded), or the HTML part as text when there is no plain one, with
	// "\n" line ends. It keeps quoted history and signatures.
	Text string
	// NewText is only what the sender newly wrote: Text without quoted
	// history, forwarded messages, signatures and client taglines ("Sent
	// from my iPhone"). It is "" when the sender wrote nothing of their own
	// (a bare forward); Text still holds everything then.
	NewText string
	// Auto is true for automatic mail (bounces, vacation replies, lists,
	// newsletters): it must never be answered nor open a ticket.
	Auto bool
	// AutoReason says why Auto is set: one of the Reason constants, "" when
	// Auto is false.
	AutoReason string
	// ThreadTicket is the ticket (T-000123) the mail continues, from our
	// Message-IDs in In-Reply-To/References, else from [#T-000123] in the
	// subject, else, for a delivery report, from the returned message; ""
	// for a new conversation.
	ThreadTicket string
	// Bounced is, for a bounce, the Message-ID (without angle brackets) of
	// our mail that it returns, when the report says; "" otherwise.
	Bounced string
	// Attachments are the parts that carry a file name, in MIME order, not
	// looking inside attached messages (message/rfc822).
	Attachments []Attachment
	// Defects lists what the reader could not read and skipped (a cut-off
	// part, an unknown charset or transfer encoding). The reading is best
	// effort when it is not empty.
	Defects []string
}

// Attachment is a part of a mail that carries a file name.
type Attachment struct {
	// Filename is the decoded file name (RFC 2231 or RFC 2047), as the
	// sender gave it: it may hold path separators, so never use it as a path.
	Filename string
	// ContentType is the lowercased media type, without parameters.
	ContentType string
	// Size is the decoded size in bytes, also when Data was skipped.
	Size int64
	// Data is the decoded content; nil when Skipped.
	Data []byte
	// Inline is true for parts shown in the body (Content-Disposition
	// inline, or no disposition and a Content-ID), typically images.
	Inline bool
	// ContentID is the Content-ID without angle brackets, which the HTML
	// body refers to as cid:…; "" when none.
	ContentID string
	// Skipped is true when the part was larger than
	// ReadOptions.MaxAttachment and Data was left out.
	Skipped bool
}

// ReadOptions says how to read a mail.
type ReadOptions struct {
	// Domain is the domain of our own Message-IDs (shop.example.com in
	// <t-000123.m-5@shop.example.com>). Only ids on it thread a mail to a
	// ticket; when empty, only the subject token does.
	Domain string
	// MaxAttachment is the largest attachment whose Data is kept, in bytes;
	// larger ones keep their Size but not their Data. 0 means no limit.
	MaxAttachment int64
}

// Read reads one raw RFC 5322 message.
//
// It reads as much as it can of malformed mail and lists what it skipped in
// Mail.Defects; it returns an error wrapping ErrNotMail only when the bytes
// have no header field at all. It never panics and is safe for concurrent
// use.
func Read(raw []byte, opt ReadOptions) (Mail, error) {
	registerCharsets()
	var w walker
	head, body := splitHeader(raw)
	h, dropped, err := readHeader(head)
	if err != nil {
		w.defect("header: %v", err)
	}
	if h.Len() == 0 {
		return Mail{}, fmt.Errorf("read mail: %w", ErrNotMail)
	}
	if dropped > 0 {
		w.defect("header: %d lines that are not fields skipped", dropped)
	}
	root := w.readEntity(h, bytes.NewReader(body), 0)

	m := Mail{
		MessageID:  first(parseMsgIDs(h.Get("Message-Id"))),
		InReplyTo:  parseMsgIDs(h.Get("In-Reply-To")),
		References: parseMsgIDs(h.Get("References")),
		Subject:    strings.TrimSpace(decodeWords(h.Get("Subject"))),
	}
	var ok bool
	if m.From, m.FromName, ok = parseAddress(h.Get("From")); !ok {
		w.defect("From %q is malformed: read as %q", h.Get("From"), m.From)
	}
	m.ReplyTo, _, _ = parseAddress(h.Get("Reply-To"))
	if v := h.Get("Date"); v != "" {
		if m.Date, err = mail.ParseDate(v); err != nil {
			w.defect("Date %q unreadable", v)
		}
	}

	m.Text = bodyText(root, &w)
	m.NewText = newText(m.Text)
	m.Attachments = attachments(root, opt.MaxAttachment)
	m.AutoReason = autoReason(root, m.From, m.Subject)
	m.Auto = m.AutoReason != ""
	returned := returnedMessageID(root)
	m.ThreadTicket = threadTicket(m.InReplyTo, m.References, m.Subject, returned, opt.Domain)
	if m.AutoReason == ReasonBounce {
		m.Bounced = bouncedID(returned, m.InReplyTo, m.References, opt.Domain)
	}
	m.Defects = w.defects
	return m, nil
}

// attachments collects the leaves that carry a file name, in MIME order,
// without looking inside message/rfc822 (a leaf here).
func attachments(e *entity, limit int64) []Attachment {
	var out []Attachment
	var walk func(*entity)
	walk = func(e *entity) {
		if e.multipart() && e.children != nil {
			for _, c := range e.children {
				walk(c)
			}
			return
		}
		if e.filename == "" {
			return
		}
		a := Attachment{
			Filename:    e.filename,
			ContentType: e.mediaType,
			Size:        int64(len(e.body)),
			Data:        e.body,
			ContentID:   first(parseMsgIDs(e.header.Get("Content-Id"))),
		}
		if a.ContentID == "" {
			a.ContentID = strings.Trim(strings.TrimSpace(e.header.Get("Content-Id")), "<>")
		}
		a.Inline = e.disposition == "inline" || e.disposition == "" && a.ContentID != ""
		if limit > 0 && a.Size > limit {
			a.Data, a.Skipped = nil, true
		}
		out = append(out, a)
	}
	walk(e)
	return out
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
