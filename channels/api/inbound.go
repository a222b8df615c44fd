package api

import (
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/internal/httpjson"
)

// MaxIDBytes limits external_id, thread and from.id, and attachment file names.
const MaxIDBytes = 256

// InboundMessage is the body of POST /api/v1/channels/api/messages.
type InboundMessage struct {
	// ExternalID is the client's id for the message and its idempotency key. Required.
	ExternalID string `json:"external_id"`
	// Thread is the conversation replies go to. Defaults to From.ID.
	Thread string `json:"thread,omitempty"`
	// From is the customer.
	From channels.Party `json:"from"`
	// Text is what the customer wrote. Required.
	Text string `json:"text"`
	// Attachments, possibly none.
	Attachments []InboundAttachment `json:"attachments,omitempty"`
}

// InboundAttachment is a file sent with an InboundMessage.
type InboundAttachment struct {
	Filename string `json:"filename"`
	// ContentType is the file's media type; sniffed from the data when empty.
	ContentType string `json:"content_type,omitempty"`
	// DataBase64 is the content in standard base64, padded or not.
	DataBase64 string `json:"data_base64"`
}

// Accepted is the 202 answer to an inbound message.
type Accepted struct {
	// MessageID is loopdesk's id of the stored message; a duplicate answers
	// the first one's id.
	MessageID string `json:"message_id"`
	// Duplicate is true when the external_id was seen before and nothing changed.
	Duplicate bool `json:"duplicate"`
}

func (c *Channel) handleInbound(w http.ResponseWriter, r *http.Request) {
	if !c.authorized(r) {
		writeUnauthorized(w)
		return
	}
	var in InboundMessage
	if e := httpjson.Decode(w, r, c.maxBody, &in); e != nil {
		httpjson.WriteError(w, e)
		return
	}
	msg, e := in.message()
	if e != nil {
		httpjson.WriteError(w, e)
		return
	}
	receipt, err := c.handler.HandleMessage(r.Context(), msg)
	switch {
	case errors.Is(err, channels.ErrInvalid):
		httpjson.WriteError(w, httpjson.Errorf(http.StatusBadRequest, "invalid_message",
			"the message cannot be accepted: %s", strings.TrimPrefix(err.Error(), channels.ErrInvalid.Error()+": ")))
	case err != nil:
		c.log.ErrorContext(r.Context(), "store inbound api message",
			"external_id", msg.ExternalID, "thread", msg.Thread, "err", err)
		writeUnavailable(w, "the message could not be stored; retry with the same external_id")
	default:
		httpjson.Write(w, http.StatusAccepted, Accepted{MessageID: receipt.MessageID, Duplicate: receipt.Duplicate})
	}
}

// message validates in and normalizes it into a channels.Message.
func (in *InboundMessage) message() (channels.Message, *httpjson.Error) {
	if strings.TrimSpace(in.ExternalID) == "" {
		return channels.Message{}, badRequest("missing_external_id",
			"external_id is required: it is the idempotency key of the message")
	}
	thread := in.Thread
	if strings.TrimSpace(thread) == "" {
		thread = in.From.ID
	}
	if strings.TrimSpace(thread) == "" {
		return channels.Message{}, badRequest("missing_thread", "thread is required; it defaults to from.id, which is empty too")
	}
	for _, f := range [...]struct{ name, value string }{
		{"external_id", in.ExternalID}, {"thread", thread}, {"from.id", in.From.ID},
	} {
		if e := checkID(f.name, f.value); e != nil {
			return channels.Message{}, e
		}
	}
	if strings.TrimSpace(in.Text) == "" {
		return channels.Message{}, badRequest("missing_text", "text is required and must not be blank")
	}
	attachments, e := decodeAttachments(in.Attachments)
	if e != nil {
		return channels.Message{}, e
	}
	return channels.Message{
		Channel:     channels.API,
		ExternalID:  in.ExternalID,
		Thread:      thread,
		From:        in.From,
		Text:        in.Text,
		Attachments: attachments,
	}, nil
}

// checkID keeps ids usable as store keys and in URLs: bounded, printable.
func checkID(name, value string) *httpjson.Error {
	if len(value) > MaxIDBytes {
		return badRequest("invalid_id", "%s is %d bytes long; the limit is %d", name, len(value), MaxIDBytes)
	}
	if strings.ContainsFunc(value, isControl) {
		return badRequest("invalid_id", "%s must not contain NUL or other control characters", name)
	}
	return nil
}

func decodeAttachments(in []InboundAttachment) ([]channels.Attachment, *httpjson.Error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make([]channels.Attachment, 0, len(in))
	for i, a := range in {
		field := fmt.Sprintf("attachments[%d]", i)
		data, err := decodeBase64(a.DataBase64)
		if err != nil {
			return nil, badRequest("invalid_attachment", "%s.data_base64 is not valid base64", field)
		}
		if len(data) == 0 {
			return nil, badRequest("invalid_attachment", "%s.data_base64 is empty", field)
		}
		name, e := fileName(field, a.Filename)
		if e != nil {
			return nil, e
		}
		contentType := a.ContentType
		if contentType == "" {
			contentType = http.DetectContentType(data)
		} else if _, _, err := mime.ParseMediaType(contentType); err != nil {
			return nil, badRequest("invalid_attachment", "%s.content_type %q is not a media type", field, contentType)
		}
		out = append(out, channels.Attachment{
			Filename:    name,
			ContentType: contentType,
			Size:        int64(len(data)),
			Data:        data,
		})
	}
	return out, nil
}

// decodeBase64 accepts standard base64 with or without padding; line breaks
// (as MIME encoders insert them) are ignored.
func decodeBase64(s string) ([]byte, error) {
	s = strings.NewReplacer("\r", "", "\n", "").Replace(s)
	if len(s)%4 != 0 {
		return base64.RawStdEncoding.DecodeString(s)
	}
	return base64.StdEncoding.DecodeString(s)
}

// fileName keeps only the last element of a client's path, so a name never
// reaches storage or a download header as a path.
func fileName(field, name string) (string, *httpjson.Error) {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if len(name) > MaxIDBytes {
		return "", badRequest("invalid_attachment", "%s.filename is longer than %d bytes", field, MaxIDBytes)
	}
	if strings.ContainsFunc(name, isControl) {
		return "", badRequest("invalid_attachment", "%s.filename must not contain control characters", field)
	}
	return name, nil
}

func isControl(r rune) bool {
	return r < ' ' || r == 0x7f
}

func badRequest(code, format string, args ...any) *httpjson.Error {
	return httpjson.Errorf(http.StatusBadRequest, code, format, args...)
}
