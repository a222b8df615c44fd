package wecomtest

import (
	"net/http"
	"strconv"
	"time"
)

// kfSendBody is the body of send_msg and send_msg_on_event.
type kfSendBody struct {
	ToUser   string `json:"touser"`
	OpenKfID string `json:"open_kfid"`
	MsgID    string `json:"msgid"`
	MsgType  string `json:"msgtype"`
	Code     string `json:"code"`
	Text     *struct {
		Content string `json:"content"`
	} `json:"text"`
	Image *mediaRef `json:"image"`
	Voice *mediaRef `json:"voice"`
	Video *mediaRef `json:"video"`
	File  *mediaRef `json:"file"`
}

type mediaRef struct {
	MediaID string `json:"media_id"`
}

// checkContent validates the typed body of a kf message and returns its
// text and media_id. Callers hold s.mu.
func (s *Server) checkContent(b *kfSendBody, allowed ...string) (text, mediaID string, code int, msg string) {
	known := false
	for _, t := range allowed {
		known = known || t == b.MsgType
	}
	if !known {
		return "", "", ErrCodeInvalidMsgType, "invalid message type"
	}
	var ref *mediaRef
	switch b.MsgType {
	case "text":
		if b.Text == nil || b.Text.Content == "" {
			return "", "", ErrCodeEmptyContent, "empty content"
		}
		return b.Text.Content, "", 0, ""
	case "image":
		ref = b.Image
	case "voice":
		ref = b.Voice
	case "video":
		ref = b.Video
	case "file":
		ref = b.File
	default:
		return "", "", 0, "" // link, miniprogram, msgmenu, location, …: not inspected
	}
	if ref == nil {
		return "", "", ErrCodeInvalidMediaID, "invalid media_id"
	}
	if _, ok := s.media[ref.MediaID]; !ok {
		return "", "", ErrCodeInvalidMediaID, "invalid media_id"
	}
	return "", ref.MediaID, 0, ""
}

// handleSendMsg is POST /cgi-bin/kf/send_msg (doc 96427).
func (s *Server) handleSendMsg(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r, s.cfg.KFSecret) {
		return
	}
	s.mu.Lock()
	if s.kf.failN > 0 {
		s.kf.failN--
		code := s.kf.failCode
		s.mu.Unlock()
		writeError(w, code, failMessage(code))
		return
	}
	s.mu.Unlock()

	var b kfSendBody
	raw, ok := decodeBody(w, r, &b)
	if !ok {
		return
	}
	switch {
	case b.OpenKfID == "":
		writeError(w, ErrCodeInvalidOpenKfID, "invalid open_kfid")
		return
	case b.ToUser == "":
		writeError(w, ErrCodeInvalidExternalUser, "invalid external userid")
		return
	case b.MsgID != "" && !msgIDPattern.MatchString(b.MsgID):
		writeError(w, ErrCodeInvalidParameter, "invalid msgid, want at most 32 bytes of [0-9a-zA-Z_-]")
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if b.MsgID != "" && s.kf.sentIDs[b.OpenKfID][b.MsgID] {
		s.kf.duplicates++
		writeSendAnswer(w, b.MsgID)
		return
	}
	text, mediaID, code, msg := s.checkContent(&b,
		"text", "image", "voice", "video", "file", "link", "miniprogram", "msgmenu", "location", "business_card", "ca_link")
	if code != 0 {
		writeError(w, code, msg)
		return
	}
	now := s.now()
	sess := s.session(b.OpenKfID, b.ToUser)
	if code, msg := sess.refusal(now); code != 0 {
		writeError(w, code, msg)
		return
	}
	if b.MsgID == "" {
		b.MsgID = randomID(32)
	}
	sess.sentSince++
	if s.kf.sentIDs[b.OpenKfID] == nil {
		s.kf.sentIDs[b.OpenKfID] = make(map[string]bool)
	}
	s.kf.sentIDs[b.OpenKfID][b.MsgID] = true
	s.kf.sent = append(s.kf.sent, SentMessage{
		ToUser: b.ToUser, OpenKfID: b.OpenKfID, MsgID: b.MsgID, MsgType: b.MsgType,
		Text: text, MediaID: mediaID, Body: raw, Time: now,
	})
	writeSendAnswer(w, b.MsgID)
}

// refusal is the errcode send_msg answers for this session now, 0 if it
// may send: the session must be new or with the 智能助手, the customer must
// have written within 48 h, and fewer than 5 messages have gone out since.
func (sess *kfSession) refusal(now time.Time) (code int, msg string) {
	switch {
	case sess.state != 0 && sess.state != 1:
		return ErrCodeSessionStatus, "send msg session status invalid"
	case sess.lastCustomer.IsZero() || now.Sub(sess.lastCustomer) > sendWindow:
		return ErrCodeSendTimeLimit, "send msg time limit"
	case sess.sentSince >= sendWindowCount:
		return ErrCodeSendCountLimit, "send msg count limit"
	}
	return 0, ""
}

func failMessage(code int) string {
	switch code {
	case ErrCodeSystemBusy:
		return "system busy"
	case ErrCodeFreqLimit:
		return "api freq out of limit"
	default:
		return "injected failure " + strconv.Itoa(code)
	}
}

func writeSendAnswer(w http.ResponseWriter, msgID string) {
	writeJSON(w, struct {
		apiError
		MsgID string `json:"msgid"`
	}{apiError{0, "ok"}, msgID})
}

// handleSendMsgOnEvent is POST /cgi-bin/kf/send_msg_on_event (doc 95122).
// The code must be a welcome_code (20 s) or msg_code the double issued in
// an event, and is usable once. An unknown, expired or used code answers
// ErrCodeInvalidParameter "invalid code": the documentation names no
// specific errcode for it, so this is the double's choice.
func (s *Server) handleSendMsgOnEvent(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r, s.cfg.KFSecret) {
		return
	}
	var b kfSendBody
	raw, ok := decodeBody(w, r, &b)
	if !ok {
		return
	}
	if b.MsgID != "" && !msgIDPattern.MatchString(b.MsgID) {
		writeError(w, ErrCodeInvalidParameter, "invalid msgid, want at most 32 bytes of [0-9a-zA-Z_-]")
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	c, ok := s.kf.codes[b.Code]
	if !ok || c.used || now.After(c.expires) {
		writeError(w, ErrCodeInvalidParameter, "invalid code")
		return
	}
	text, _, code, msg := s.checkContent(&b, "text", "msgmenu")
	if code != 0 {
		writeError(w, code, msg)
		return
	}
	c.used = true
	if b.MsgID == "" {
		b.MsgID = randomID(32)
	}
	s.kf.replies = append(s.kf.replies, EventReply{
		Code: b.Code, OpenKfID: c.openKfID, ExternalUserID: c.user, MsgID: b.MsgID,
		MsgType: b.MsgType, Text: text, Body: raw, Time: now,
	})
	writeSendAnswer(w, b.MsgID)
}
