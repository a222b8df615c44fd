package wecomtest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Documented 微信客服 limits (docs 94670, 96427, 95122).
const (
	msgTokenTTL     = 10 * time.Minute // a callback Token is good for sync_msg this long
	syncWindow      = 72 * time.Hour   // sync_msg only returns the last 3 days
	syncMaxLimit    = 1000
	sendWindow      = 48 * time.Hour // send_msg only within 48 h of the customer's last message
	sendWindowCount = 5              // and at most 5 messages in that window
	welcomeCodeTTL  = 20 * time.Second
	msgCodeTTL      = 48 * time.Hour // a msg_code from taking a session from the pool
)

// msgIDPattern is the documented msgid alphabet; the length limit is 32 bytes.
var msgIDPattern = regexp.MustCompile(`^[0-9a-zA-Z_-]{1,32}$`)

// KFMessage is one entry of a kf account's message log, as sync_msg returns
// it. Only the fields of its MsgType are sent.
type KFMessage struct {
	// MsgID is the message's msgid. Defaults to a fresh unique ID.
	MsgID string
	// ExternalUserID is the customer. CustomerSends and EnterSession set it.
	ExternalUserID string
	// Origin is 3 (customer), 4 (system event) or 5 (agent in the WeCom
	// client). Defaults to 3, or 4 for events. A message with origin 3
	// reopens the send window: 5 messages within 48 hours of its SendTime.
	Origin int
	// ServicerUserID is the agent's userid; sent when Origin is 5.
	ServicerUserID string
	// SendTime defaults to the double's clock.
	SendTime time.Time
	// MsgType is text, image, voice, video, file, location, link,
	// miniprogram or event. Defaults to "event" when Event is set, else "text".
	MsgType string

	Text   string // text: content
	MenuID string // text: menu_id, when the customer clicked a menu item

	MediaID string // image, voice, video, file: media_id

	Latitude, Longitude float64 // location
	Name, Address       string  // location

	Title  string // link, miniprogram
	Desc   string // link
	URL    string // link
	PicURL string // link

	AppID        string // miniprogram
	PagePath     string // miniprogram
	ThumbMediaID string // miniprogram

	Event *KFEvent // event
}

// KFEvent is the event body of a KFMessage with MsgType "event". Only the
// fields of its EventType are sent; open_kfid and external_userid come from
// the log and the message.
type KFEvent struct {
	// EventType is enter_session, msg_send_fail, servicer_status_change or
	// session_status_change.
	EventType string

	Scene       string // enter_session
	SceneParam  string // enter_session
	WelcomeCode string // enter_session; usable once within 20 s on send_msg_on_event

	FailMsgID string // msg_send_fail
	FailType  int    // msg_send_fail: 4 over 48 h, 6 over 5 messages, 10 refused

	ServicerUserID string // servicer_status_change
	Status         int    // servicer_status_change: 1 receiving, 2 stopped

	ChangeType        int    // session_status_change: 1 from pool, 2 transfer, 3 end
	OldServicerUserID string // session_status_change
	NewServicerUserID string // session_status_change
	MsgCode           string // session_status_change; usable once on send_msg_on_event
}

// SentMessage is a message send_msg delivered to a customer.
type SentMessage struct {
	ToUser   string          `json:"touser"`
	OpenKfID string          `json:"open_kfid"`
	MsgID    string          `json:"msgid"`
	MsgType  string          `json:"msgtype"`
	Text     string          `json:"text,omitempty"`     // text.content
	MediaID  string          `json:"media_id,omitempty"` // image, voice, video, file
	Body     json.RawMessage `json:"body"`               // the request body as sent
	Time     time.Time       `json:"time"`
}

// EventReply is a message send_msg_on_event delivered, e.g. a welcome.
type EventReply struct {
	Code           string          `json:"code"`
	OpenKfID       string          `json:"open_kfid"`
	ExternalUserID string          `json:"external_userid"`
	MsgID          string          `json:"msgid"`
	MsgType        string          `json:"msgtype"`
	Text           string          `json:"text,omitempty"`
	Body           json.RawMessage `json:"body"`
	Time           time.Time       `json:"time"`
}

type kfEntry struct {
	sendTime time.Time
	wire     json.RawMessage
}

type sessionKey struct{ openKfID, user string }

type kfSession struct {
	state        int
	lastCustomer time.Time // zero: the customer never wrote
	sentSince    int       // send_msg deliveries since lastCustomer
}

// eventCode is a welcome_code or msg_code for send_msg_on_event.
type eventCode struct {
	openKfID, user string
	expires        time.Time
	used           bool
}

type kfState struct {
	logs       map[string][]kfEntry // by open_kfid, in arrival order
	all        []kfEntry            // every account, for sync_msg without open_kfid
	msgTokens  map[string]time.Time // callback Token → issued
	sessions   map[sessionKey]*kfSession
	sentIDs    map[string]map[string]bool // open_kfid → msgids delivered
	duplicates int
	sent       []SentMessage
	failN      int
	failCode   int
	codes      map[string]*eventCode
	replies    []EventReply
	emptyPages int
	pageSize   int
	syncCalls  int
}

func newKFState() kfState {
	return kfState{
		logs:      make(map[string][]kfEntry),
		msgTokens: make(map[string]time.Time),
		sessions:  make(map[sessionKey]*kfSession),
		sentIDs:   make(map[string]map[string]bool),
		codes:     make(map[string]*eventCode),
	}
}

// session returns the state of user's session on openKfid, creating it.
// Callers hold s.mu.
func (s *Server) session(openKfid, user string) *kfSession {
	k := sessionKey{openKfid, user}
	sess, ok := s.kf.sessions[k]
	if !ok {
		sess = &kfSession{}
		s.kf.sessions[k] = sess
	}
	return sess
}

// AddKFMessages appends msgs to openKfid's log without calling back, and
// returns their msgids. Customer messages (origin 3) reopen the send
// window; welcome codes and msg codes in events become usable on
// send_msg_on_event.
func (s *Server) AddKFMessages(openKfid string, msgs ...KFMessage) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(msgs))
	for _, m := range msgs {
		m = s.kfDefaults(m)
		e := kfEntry{sendTime: m.SendTime, wire: kfWire(openKfid, m)}
		s.kf.logs[openKfid] = append(s.kf.logs[openKfid], e)
		s.kf.all = append(s.kf.all, e)
		ids = append(ids, m.MsgID)

		if m.Origin == 3 {
			sess := s.session(openKfid, m.ExternalUserID)
			if !m.SendTime.Before(sess.lastCustomer) {
				sess.lastCustomer = m.SendTime
				sess.sentSince = 0
			}
		}
		if ev := m.Event; ev != nil {
			now := s.now()
			if ev.WelcomeCode != "" {
				s.kf.codes[ev.WelcomeCode] = &eventCode{openKfID: openKfid, user: m.ExternalUserID, expires: now.Add(welcomeCodeTTL)}
			}
			if ev.MsgCode != "" {
				ttl := msgCodeTTL
				if ev.ChangeType == 3 { // closing message: 20 s, like the welcome
					ttl = welcomeCodeTTL
				}
				s.kf.codes[ev.MsgCode] = &eventCode{openKfID: openKfid, user: m.ExternalUserID, expires: now.Add(ttl)}
			}
		}
	}
	return ids
}

func (s *Server) kfDefaults(m KFMessage) KFMessage {
	if m.MsgID == "" {
		m.MsgID = randomID(32)
	}
	if m.MsgType == "" {
		m.MsgType = "text"
		if m.Event != nil {
			m.MsgType = "event"
		}
	}
	if m.Origin == 0 {
		m.Origin = 3
		if m.MsgType == "event" {
			m.Origin = 4
		}
	}
	if m.SendTime.IsZero() {
		m.SendTime = s.now()
	}
	return m
}

// kfWire renders m as a sync_msg msg_list item. Events carry open_kfid and
// external_userid inside "event" only, as documented.
func kfWire(openKfid string, m KFMessage) json.RawMessage {
	item := map[string]any{
		"msgid":     m.MsgID,
		"send_time": m.SendTime.Unix(),
		"origin":    m.Origin,
		"msgtype":   m.MsgType,
	}
	if m.MsgType != "event" {
		item["open_kfid"] = openKfid
		item["external_userid"] = m.ExternalUserID
	}
	if m.Origin == 5 {
		item["servicer_userid"] = m.ServicerUserID
	}
	switch m.MsgType {
	case "text":
		text := map[string]any{"content": m.Text}
		if m.MenuID != "" {
			text["menu_id"] = m.MenuID
		}
		item["text"] = text
	case "image", "voice", "video", "file":
		item[m.MsgType] = map[string]any{"media_id": m.MediaID}
	case "location":
		item["location"] = map[string]any{"latitude": m.Latitude, "longitude": m.Longitude, "name": m.Name, "address": m.Address}
	case "link":
		item["link"] = map[string]any{"title": m.Title, "desc": m.Desc, "url": m.URL, "pic_url": m.PicURL}
	case "miniprogram":
		item["miniprogram"] = map[string]any{"title": m.Title, "appid": m.AppID, "pagepath": m.PagePath, "thumb_media_id": m.ThumbMediaID}
	case "event":
		item["event"] = kfEventWire(openKfid, m.ExternalUserID, m.Event)
	}
	raw, err := json.Marshal(item)
	if err != nil {
		panic(err) // only strings and numbers
	}
	return raw
}

func kfEventWire(openKfid, user string, ev *KFEvent) map[string]any {
	if ev == nil {
		ev = &KFEvent{}
	}
	out := map[string]any{"event_type": ev.EventType, "open_kfid": openKfid}
	switch ev.EventType {
	case "enter_session":
		out["external_userid"] = user
		out["scene"] = ev.Scene
		out["scene_param"] = ev.SceneParam
		if ev.WelcomeCode != "" {
			out["welcome_code"] = ev.WelcomeCode
		}
	case "msg_send_fail":
		out["external_userid"] = user
		out["fail_msgid"] = ev.FailMsgID
		out["fail_type"] = ev.FailType
	case "servicer_status_change":
		out["servicer_userid"] = ev.ServicerUserID
		out["status"] = ev.Status
	case "session_status_change":
		out["external_userid"] = user
		out["change_type"] = ev.ChangeType
		if ev.OldServicerUserID != "" {
			out["old_servicer_userid"] = ev.OldServicerUserID
		}
		if ev.NewServicerUserID != "" {
			out["new_servicer_userid"] = ev.NewServicerUserID
		}
		if ev.MsgCode != "" {
			out["msg_code"] = ev.MsgCode
		}
	default:
		out["external_userid"] = user
	}
	return out
}

// SetEmptyPages makes the next n sync_msg answers that would return
// messages return has_more=1, an empty msg_list and the same next_cursor
// instead, as WeCom sometimes does: a client must loop on has_more, not on
// the list being non-empty.
func (s *Server) SetEmptyPages(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kf.emptyPages = n
}

// SetPageSize caps the messages per sync_msg answer below the request's
// limit, to force paging; 0 removes the cap.
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kf.pageSize = n
}

// SyncCalls is how many sync_msg requests the double received.
func (s *Server) SyncCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kf.syncCalls
}

// SetSessionState sets the 微信客服 session state of user on openKfid: 0 new,
// 1 智能助手接待, 2 待接入池, 3 人工接待 (taken over in the WeCom client),
// 4 ended. send_msg answers 95018 unless the state is 0 or 1.
func (s *Server) SetSessionState(openKfid, user string, state int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.session(openKfid, user).state = state
}

// FailSends makes the next n send_msg calls (with a valid token) answer
// errcode, e.g. ErrCodeSystemBusy or ErrCodeFreqLimit, without delivering.
func (s *Server) FailSends(n, errcode int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kf.failN, s.kf.failCode = n, errcode
}

// Sent returns the messages send_msg delivered, in order.
func (s *Server) Sent() []SentMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SentMessage(nil), s.kf.sent...)
}

// DuplicateSends is how many send_msg calls repeated a msgid already
// delivered on the same open_kfid. The double's chosen behaviour for those
// is idempotency: it answers errcode 0 with the same msgid and does not
// deliver again.
func (s *Server) DuplicateSends() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kf.duplicates
}

// EventReplies returns the messages send_msg_on_event delivered, in order.
func (s *Server) EventReplies() []EventReply {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]EventReply(nil), s.kf.replies...)
}

func encodeCursor(i int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("wecomtest:" + strconv.Itoa(i)))
}

func decodeCursor(c string) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, false
	}
	n, ok := strings.CutPrefix(string(raw), "wecomtest:")
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(n)
	return i, err == nil && i >= 0
}

// syncRequest is the body of sync_msg.
type syncRequest struct {
	Cursor      string `json:"cursor"`
	Token       string `json:"token"`
	Limit       int    `json:"limit"`
	VoiceFormat int    `json:"voice_format"`
	OpenKfID    string `json:"open_kfid"`
}

// syncPage is a sync_msg answer.
type syncPage struct {
	apiError
	NextCursor string            `json:"next_cursor"`
	HasMore    int               `json:"has_more"`
	MsgList    []json.RawMessage `json:"msg_list"`
}

// handleSyncMsg is POST /cgi-bin/kf/sync_msg (doc 94670). The cursor is an
// opaque position in the log of the requested open_kfid (or of every
// account when open_kfid is empty); an empty cursor starts at the first
// message of the last 3 days.
func (s *Server) handleSyncMsg(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.kf.syncCalls++
	s.mu.Unlock()
	if !s.authorize(w, r, s.cfg.KFSecret) {
		return
	}
	var req syncRequest
	if _, ok := decodeBody(w, r, &req); !ok {
		return
	}
	if req.Limit == 0 {
		req.Limit = syncMaxLimit
	}
	if req.Limit < 0 || req.Limit > syncMaxLimit {
		writeError(w, ErrCodeInvalidParameter, "invalid limit, must be 1-1000")
		return
	}
	if len(req.Cursor) > 64 || len(req.Token) > 128 {
		writeError(w, ErrCodeInvalidParameter, "cursor or token too long")
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if req.Token != "" {
		issued, ok := s.kf.msgTokens[req.Token]
		if !ok || s.now().Sub(issued) > msgTokenTTL {
			writeError(w, ErrCodeInvalidMsgToken, "invalid msg token")
			return
		}
	}
	page, ok := s.page(req)
	if !ok {
		writeError(w, ErrCodeInvalidParameter, "invalid cursor")
		return
	}
	writeJSON(w, page)
}

// page cuts the sync_msg answer for req, applying SetPageSize and
// SetEmptyPages. It reports false for a cursor the double did not issue.
// Callers hold s.mu.
func (s *Server) page(req syncRequest) (syncPage, bool) {
	log := s.kf.all
	if req.OpenKfID != "" {
		log = s.kf.logs[req.OpenKfID]
	}
	start := len(log)
	if req.Cursor == "" {
		now := s.now()
		for i, e := range log {
			if now.Sub(e.sendTime) <= syncWindow {
				start = i
				break
			}
		}
	} else {
		i, ok := decodeCursor(req.Cursor)
		if !ok || i > len(log) {
			return syncPage{}, false
		}
		start = i
	}
	limit := req.Limit
	if s.kf.pageSize > 0 && s.kf.pageSize < limit {
		limit = s.kf.pageSize
	}
	end := min(start+limit, len(log))
	p := syncPage{apiError: apiError{0, "ok"}, MsgList: make([]json.RawMessage, 0, end-start)}
	if start < end && s.kf.emptyPages > 0 {
		s.kf.emptyPages--
		p.HasMore, p.NextCursor = 1, encodeCursor(start)
		return p, true
	}
	for _, e := range log[start:end] {
		p.MsgList = append(p.MsgList, e.wire)
	}
	if end < len(log) {
		p.HasMore = 1
	}
	p.NextCursor = encodeCursor(end)
	return p, true
}
