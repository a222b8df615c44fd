package wecomtest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Media is a temporary media file the double holds.
type Media struct {
	ID          string
	Type        string // image, voice, video or file; "" for AddMedia
	ContentType string
	Filename    string
	Data        []byte
	Created     time.Time
}

// AddMedia stores a media file, as if a customer had sent it, and returns
// the media_id that media/get serves it under.
func (s *Server) AddMedia(data []byte, contentType, filename string) (mediaID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addMedia(Media{Data: append([]byte(nil), data...), ContentType: contentType, Filename: filename})
}

// addMedia stores m under a fresh ID. Callers hold s.mu.
func (s *Server) addMedia(m Media) string {
	m.ID = randomID(64)
	m.Created = s.now()
	s.media[m.ID] = m
	return m.ID
}

// LookupMedia returns the media file stored under mediaID, e.g. one the
// system under test uploaded before sending it.
func (s *Server) LookupMedia(mediaID string) (Media, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.media[mediaID]
	m.Data = bytes.Clone(m.Data)
	return m, ok
}

// handleMediaUpload is POST /cgi-bin/media/upload?type= (doc 90253): a
// multipart form with the file in the "media" part. Either access token may
// upload.
func (s *Server) handleMediaUpload(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r, s.cfg.AppSecret, s.cfg.KFSecret) {
		return
	}
	typ := r.URL.Query().Get("type")
	switch typ {
	case "image", "voice", "video", "file":
	default:
		writeError(w, ErrCodeInvalidMediaType, "invalid media type")
		return
	}
	file, hdr, err := r.FormFile("media")
	if err != nil {
		writeError(w, ErrCodeDataFormat, "media part missing: "+err.Error())
		return
	}
	defer file.Close()
	data, err := io.ReadAll(file)
	if err != nil {
		writeError(w, ErrCodeDataFormat, err.Error())
		return
	}
	ct := hdr.Header.Get("Content-Type")
	if ct == "" {
		ct = http.DetectContentType(data)
	}
	s.mu.Lock()
	id := s.addMedia(Media{Type: typ, ContentType: ct, Filename: hdr.Filename, Data: data})
	created := s.media[id].Created
	s.mu.Unlock()
	writeJSON(w, struct {
		apiError
		Type      string `json:"type"`
		MediaID   string `json:"media_id"`
		CreatedAt string `json:"created_at"` // a string, as documented
	}{apiError{0, ""}, typ, id, strconv.FormatInt(created.Unix(), 10)})
}

// handleMediaGet is GET /cgi-bin/media/get?media_id= (doc 90254): the
// bytes with their Content-Type and a Content-Disposition attachment
// filename, or a JSON error (still HTTP 200) for an unknown media_id. Either
// access token may download.
func (s *Server) handleMediaGet(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r, s.cfg.AppSecret, s.cfg.KFSecret) {
		return
	}
	s.mu.Lock()
	m, ok := s.media[r.URL.Query().Get("media_id")]
	s.mu.Unlock()
	if !ok {
		writeError(w, ErrCodeInvalidMediaID, "invalid media_id")
		return
	}
	ct := m.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", contentDisposition(m.Filename))
	w.Header().Set("Content-Length", strconv.Itoa(len(m.Data)))
	_, _ = w.Write(m.Data)
}

// contentDisposition is the attachment header for name, in one of two
// forms, so clients must parse both: quoted for a plain ASCII name, RFC 5987
// percent-encoding otherwise:
//
//	attachment; filename="report.pdf"
//	attachment; filename*=UTF-8''%E6%8A%A5%E5%91%8A.pdf
func contentDisposition(name string) string {
	plain := name != ""
	for _, c := range []byte(name) {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			plain = false
		}
	}
	if plain {
		return `attachment; filename="` + name + `"`
	}
	if name == "" {
		return "attachment"
	}
	var b strings.Builder
	b.WriteString("attachment; filename*=UTF-8''")
	for _, c := range []byte(name) {
		if isAttrChar(c) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// isAttrChar reports whether c may appear unescaped in an RFC 5987 value.
func isAttrChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}
