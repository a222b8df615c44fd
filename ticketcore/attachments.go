package ticketcore

import (
	"context"
	"fmt"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/loopdesk/loopdesk/channels"
)

// AttachmentLimits bound what loopdesk keeps of attachments.
type AttachmentLimits struct {
	// MaxBytes is the largest attachment kept. Defaults to 20 MiB.
	MaxBytes int64
	// Types are the media types kept ("image/*", "application/pdf");
	// empty keeps every type.
	Types []string
}

func (l *AttachmentLimits) applyDefaults() {
	if l.MaxBytes <= 0 {
		l.MaxBytes = 20 << 20
	}
}

// refuse says why an attachment is not kept, or "". Both the type the
// sender declared and the type the content looks like must be accepted
// (a web page declared as image/png is not an image).
func (l AttachmentLimits) refuse(a channels.Attachment) string {
	sniffed := http.DetectContentType(a.Data)
	switch {
	case a.NotFetched != "":
		return a.NotFetched
	case int64(len(a.Data)) > l.MaxBytes:
		return fmt.Sprintf("larger than %d bytes", l.MaxBytes)
	case len(l.Types) > 0 && !l.allows(a.ContentType):
		return fmt.Sprintf("type %s is not accepted", a.ContentType)
	case len(l.Types) > 0 && sniffed != "application/octet-stream" && !l.allows(sniffed):
		return fmt.Sprintf("the content is %s, not %s", sniffed, a.ContentType)
	}
	return ""
}

func (l AttachmentLimits) allows(contentType string) bool {
	mt, _, _ := strings.Cut(strings.ToLower(contentType), ";")
	mt = strings.TrimSpace(mt)
	for _, pattern := range l.Types {
		if ok, _ := path.Match(strings.ToLower(pattern), mt); ok {
			return true
		}
	}
	return false
}

// keepAttachments stores what the limits allow in the blob store, before
// the message's transaction (content first, so a committed message never
// names missing content), and describes every attachment.
func (s *Service) keepAttachments(ctx context.Context, atts []channels.Attachment) ([]AttachmentRef, error) {
	refs := make([]AttachmentRef, 0, len(atts))
	for _, a := range atts {
		if a.ContentType == "" {
			a.ContentType = http.DetectContentType(a.Data)
		}
		ref := AttachmentRef{Filename: a.Filename, ContentType: a.ContentType, Size: int64(len(a.Data))}
		if a.NotFetched != "" {
			ref.Size = a.Size
		}
		if ref.Skipped = s.cfg.Attachments.refuse(a); ref.Skipped == "" {
			sum, err := s.cfg.Blobs.Put(ctx, a.Data)
			if err != nil {
				return nil, fmt.Errorf("store attachment %s: %w", a.Filename, err)
			}
			ref.SHA256 = sum
		}
		refs = append(refs, ref)
	}
	return refs, nil
}

// skippedNotes are the notes that tell agents which attachments of a
// message were not kept, and why.
func skippedNotes(m Message, now time.Time) []Entry {
	var out []Entry
	for _, a := range m.Attachments {
		if a.Skipped != "" {
			out = append(out, Entry{Type: EntryNote, At: now, By: BySystem, MessageID: m.ID,
				Text: fmt.Sprintf("附件 %s 未保存（%s） / attachment %s not kept: %s", a.Filename, a.Skipped, a.Filename, a.Skipped)})
		}
	}
	return out
}

// AddAttachment stores a file an agent adds to a ticket, as an internal
// note carrying it. A file the limits refuse is ErrInvalid.
func (s *Service) AddAttachment(ctx context.Context, id, by string, a channels.Attachment, text string) (Entry, error) {
	refs, err := s.keepAttachments(ctx, []channels.Attachment{a})
	if err != nil {
		return Entry{}, err
	}
	if refs[0].Skipped != "" {
		return Entry{}, fmt.Errorf("%w: attachment %s is %s", ErrInvalid, a.Filename, refs[0].Skipped)
	}
	if text == "" {
		text = "📎 " + a.Filename
	}
	var e Entry
	err = s.store.Update(ctx, func(tx Tx) error {
		if _, err := tx.Ticket(id); err != nil {
			return err
		}
		e = Entry{Type: EntryNote, Text: text, At: s.cfg.Now(), By: by, Attachments: refs}
		return tx.AppendEntry(id, &e)
	})
	if err != nil {
		return Entry{}, fmt.Errorf("add attachment to ticket %s: %w", id, err)
	}
	return e, nil
}

// Attachment returns an attachment of a ticket (on one of its messages or
// notes) with its content. Content is reachable only through a ticket that
// holds it.
func (s *Service) Attachment(ctx context.Context, id, sum string) (AttachmentRef, []byte, error) {
	var ref AttachmentRef
	found := false
	err := s.store.View(ctx, func(tx ReadTx) error {
		entries, err := tx.Timeline(id)
		if err != nil {
			return err
		}
		for _, e := range entries {
			refs := e.Attachments
			if e.MessageID != "" && e.Type == EntryMessage {
				m, err := tx.Message(e.MessageID)
				if err != nil {
					return err
				}
				refs = m.Attachments
			}
			for _, r := range refs {
				if r.SHA256 == sum && !found {
					ref, found = r, true
				}
			}
		}
		return nil
	})
	if err == nil && !found {
		err = fmt.Errorf("%w: ticket %s has no attachment %s", ErrNotFound, id, sum)
	}
	if err != nil {
		return AttachmentRef{}, nil, fmt.Errorf("read attachment: %w", err)
	}
	data, err := s.cfg.Blobs.Get(ctx, sum)
	return ref, data, err
}
