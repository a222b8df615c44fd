package agentapi

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/loopdesk/loopdesk/auth"
	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/internal/httpjson"
)

// upload takes one file (multipart/form-data: a "file" part and an
// optional "text" field) and adds it to the ticket as an internal note.
func (a *API) upload(w http.ResponseWriter, r *http.Request, p auth.Principal) *httpjson.Error {
	id, e := ticketID(r)
	if e != nil {
		return e
	}
	att, text, e := a.readUpload(w, r)
	if e != nil {
		return e
	}
	entry, err := a.tickets.AddAttachment(r.Context(), id, p.Name, att, text)
	if err != nil {
		return a.fail(r, err)
	}
	httpjson.Write(w, http.StatusCreated, entry)
	return nil
}

// readUpload reads the whole form within MaxBodyBytes, so that a refused
// upload has stored nothing.
func (a *API) readUpload(w http.ResponseWriter, r *http.Request) (channels.Attachment, string, *httpjson.Error) {
	var att channels.Attachment
	if r.ContentLength > a.cfg.MaxBodyBytes {
		return att, "", tooLarge(a.cfg.MaxBodyBytes)
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		return att, "", httpjson.Errorf(http.StatusUnsupportedMediaType, "unsupported_media_type",
			"send the file as multipart/form-data with a \"file\" part")
	}
	r.Body = http.MaxBytesReader(w, r.Body, a.cfg.MaxBodyBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		return att, "", invalid("the multipart body cannot be read: %s", err)
	}
	var text string
	seen := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return att, "", a.uploadError(err)
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return att, "", a.uploadError(err)
		}
		switch part.FormName() {
		case "file":
			if seen {
				return att, "", invalid("send one file per request")
			}
			seen = true
			att = channels.Attachment{Filename: part.FileName(), ContentType: part.Header.Get("Content-Type"),
				Size: int64(len(data)), Data: data}
		case "text":
			text = strings.TrimSpace(string(data))
		}
	}
	switch {
	case !seen:
		return att, "", httpjson.Errorf(http.StatusBadRequest, "missing_file", "a \"file\" part is required")
	case att.Filename == "" || att.Filename == "." || att.Filename == "/":
		return att, "", invalid("the file part needs a filename")
	case att.Size == 0:
		return att, "", invalid("the file %s is empty", att.Filename)
	}
	return att, text, nil
}

func (a *API) uploadError(err error) *httpjson.Error {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return tooLarge(a.cfg.MaxBodyBytes)
	}
	return invalid("the multipart body cannot be read: %s", err)
}

func tooLarge(limit int64) *httpjson.Error {
	return httpjson.Errorf(http.StatusRequestEntityTooLarge, "body_too_large",
		"the request body is larger than the limit of %d bytes", limit)
}

// download answers an attachment's content as a download: never shown
// inline, never sniffed, so a stored HTML or SVG file cannot run in the
// API's origin.
func (a *API) download(w http.ResponseWriter, r *http.Request, _ auth.Principal) *httpjson.Error {
	id, e := ticketID(r)
	if e != nil {
		return e
	}
	sum := r.PathValue("sha256")
	if !isSHA256Hex(sum) {
		return httpjson.Errorf(http.StatusNotFound, "not_found", "ticket %s has no attachment %q", id, sum)
	}
	ref, data, err := a.tickets.Attachment(r.Context(), id, sum)
	if err != nil {
		return a.fail(r, err)
	}
	h := w.Header()
	h.Set("Content-Type", safeContentType(ref.ContentType))
	h.Set("Content-Disposition", contentDisposition(ref.Filename))
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, max-age=0")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data) // the client went away; nothing to do
	return nil
}

// isSHA256Hex reports whether s is a SHA-256 as the blob store names
// content: 64 lowercase hex digits.
func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// safeContentType is the stored media type when it is one, else
// application/octet-stream.
func safeContentType(ct string) string {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || !strings.Contains(mt, "/") {
		return "application/octet-stream"
	}
	return mime.FormatMediaType(mt, params)
}

// contentDisposition names the download: an ASCII fallback for old
// clients and the real name in RFC 5987 encoding (the filename* parameter,
// UTF-8 percent-encoded), which every current browser prefers.
func contentDisposition(name string) string {
	if name == "" {
		name = "attachment"
	}
	var ascii, ext strings.Builder
	for _, c := range name {
		switch {
		case c < 0x20 || c == 0x7f || c > 0x7e || c == '"' || c == '\\':
			ascii.WriteByte('_')
		default:
			ascii.WriteRune(c)
		}
	}
	for _, b := range []byte(name) {
		if isAttrChar(b) {
			ext.WriteByte(b)
		} else {
			fmt.Fprintf(&ext, "%%%02X", b)
		}
	}
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii.String(), ext.String())
}

// isAttrChar reports whether b may stand unescaped in an RFC 5987 value.
func isAttrChar(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", b) >= 0
}
