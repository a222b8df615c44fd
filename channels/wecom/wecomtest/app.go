package wecomtest

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Documented self-built app limits (docs 90236, 94888).
const (
	memberPerMinute    = 30   // messages per member per app per minute
	memberPerHour      = 1000 // and per hour; excess is dropped silently
	responseCodeTTL    = 72 * time.Hour
	defaultDupInterval = 1800 * time.Second
	maxDupInterval     = 4 * time.Hour
	maxButtons         = 6
)

// interactive reports whether a template card type answers clicks with a
// template_card_event and so gets a response_code.
func interactive(cardType string) bool {
	switch cardType {
	case "button_interaction", "vote_interaction", "multiple_interaction":
		return true
	}
	return false
}

var taskIDPattern = regexp.MustCompile(`^[0-9a-zA-Z_\-@]{1,128}$`)

// AppMessage is a message/send call the double accepted and delivered to
// at least one recipient.
type AppMessage struct {
	ToUser       string          `json:"touser"` // as addressed: "a|b" or "@all"
	ToParty      string          `json:"toparty,omitempty"`
	ToTag        string          `json:"totag,omitempty"`
	Delivered    []string        `json:"delivered"` // the touser members it reached
	MsgType      string          `json:"msgtype"`
	MsgID        string          `json:"msgid"`
	Content      string          `json:"content,omitempty"` // text or markdown content
	Title        string          `json:"title,omitempty"`   // textcard title or template card main title
	CardType     string          `json:"card_type,omitempty"`
	TaskID       string          `json:"task_id,omitempty"`
	Buttons      []AppButton     `json:"buttons,omitempty"`
	ResponseCode string          `json:"response_code,omitempty"`
	Body         json.RawMessage `json:"body"` // the request body as sent
	Time         time.Time       `json:"time"`
}

// AppButton is a template card button.
type AppButton struct {
	Text  string `json:"text"`
	Style int    `json:"style,omitempty"`
	Key   string `json:"key"`
}

// CardUpdate is an accepted message/update_template_card call.
type CardUpdate struct {
	UserIDs      []string        `json:"userids"`
	ResponseCode string          `json:"response_code"`
	ReplaceName  string          `json:"replace_name,omitempty"` // button.replace_name
	Body         json.RawMessage `json:"body"`
	Time         time.Time       `json:"time"`
}

type responseCode struct {
	userID, taskID string
	expires        time.Time
	used           bool
}

type appState struct {
	messages      []AppMessage
	dropped       int
	deliveries    map[string][]time.Time // member → deliveries within the last hour
	lastSame      map[string]time.Time   // duplicate-check key → last delivery
	tasks         map[string]string      // task_id → card_type; task_ids are unique per app
	responseCodes map[string]*responseCode
	updates       []CardUpdate
}

func newAppState() appState {
	return appState{
		deliveries:    make(map[string][]time.Time),
		lastSame:      make(map[string]time.Time),
		tasks:         make(map[string]string),
		responseCodes: make(map[string]*responseCode),
	}
}

// AppMessages returns the app messages delivered, in order.
func (s *Server) AppMessages() []AppMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]AppMessage(nil), s.app.messages...)
}

// DroppedAppMessages is how many (message, member) deliveries message/send
// answered ok but dropped silently, as WeCom does: over 30 a minute or 1000
// an hour per member, or — with enable_duplicate_check — the same content
// to the same recipients within duplicate_check_interval (counted once).
func (s *Server) DroppedAppMessages() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.app.dropped
}

// CardUpdates returns the accepted update_template_card calls, in order.
func (s *Server) CardUpdates() []CardUpdate {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]CardUpdate(nil), s.app.updates...)
}

// issueResponseCode remembers a fresh response_code for a card, usable
// once within 72 h. Callers hold s.mu.
func (s *Server) issueResponseCode(userID, taskID string) string {
	code := randomID(48)
	s.app.responseCodes[code] = &responseCode{userID: userID, taskID: taskID, expires: s.now().Add(responseCodeTTL)}
	return code
}

// agentIDMatches accepts the agentid as a JSON number or numeric string.
func (s *Server) agentIDMatches(raw json.RawMessage) bool {
	v := strings.Trim(string(raw), `"`)
	n, err := strconv.Atoi(v)
	return err == nil && n == s.cfg.AgentID
}

type appSendBody struct {
	ToUser   string          `json:"touser"`
	ToParty  string          `json:"toparty"`
	ToTag    string          `json:"totag"`
	MsgType  string          `json:"msgtype"`
	AgentID  json.RawMessage `json:"agentid"`
	Text     *contentBody    `json:"text"`
	Markdown *contentBody    `json:"markdown"`
	TextCard *struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		URL         string `json:"url"`
		BtnTxt      string `json:"btntxt"`
	} `json:"textcard"`
	TemplateCard *struct {
		CardType  string `json:"card_type"`
		MainTitle struct {
			Title string `json:"title"`
			Desc  string `json:"desc"`
		} `json:"main_title"`
		TaskID     string      `json:"task_id"`
		ButtonList []AppButton `json:"button_list"`
	} `json:"template_card"`
	EnableDuplicateCheck   int `json:"enable_duplicate_check"`
	DuplicateCheckInterval int `json:"duplicate_check_interval"`
}

type contentBody struct {
	Content string `json:"content"`
}

// handleAppSend is POST /cgi-bin/message/send (doc 90236).
func (s *Server) handleAppSend(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r, s.cfg.AppSecret) {
		return
	}
	var b appSendBody
	raw, ok := decodeBody(w, r, &b)
	if !ok {
		return
	}
	if !s.agentIDMatches(b.AgentID) {
		writeError(w, ErrCodeInvalidAgentID, "invalid agentid")
		return
	}
	if b.ToUser == "" && b.ToParty == "" && b.ToTag == "" {
		writeError(w, ErrCodeInvalidUserList, "touser, toparty and totag are all empty")
		return
	}
	m := AppMessage{ToUser: b.ToUser, ToParty: b.ToParty, ToTag: b.ToTag, MsgType: b.MsgType, Body: raw}
	if code, msg := checkAppContent(&b, &m); code != 0 {
		writeError(w, code, msg)
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if m.TaskID != "" {
		if _, dup := s.app.tasks[m.TaskID]; dup {
			writeError(w, ErrCodeInvalidParameter, "task_id duplicated")
			return
		}
		s.app.tasks[m.TaskID] = m.CardType
	}
	m.MsgID = randomID(40)
	m.Time = now
	if interactive(m.CardType) {
		m.ResponseCode = s.issueResponseCode("", m.TaskID)
	}
	if !s.duplicateCheck(&b, raw, now) {
		s.app.dropped++
	} else {
		s.deliverApp(&m, now)
	}
	writeJSON(w, struct {
		apiError
		InvalidUser  string `json:"invaliduser"`
		MsgID        string `json:"msgid"`
		ResponseCode string `json:"response_code,omitempty"`
	}{apiError{0, "ok"}, "", m.MsgID, m.ResponseCode})
}

// checkAppContent validates the typed body and copies its gist into m.
func checkAppContent(b *appSendBody, m *AppMessage) (code int, msg string) {
	switch b.MsgType {
	case "text", "markdown":
		c := b.Text
		if b.MsgType == "markdown" {
			c = b.Markdown
		}
		if c == nil || c.Content == "" {
			return ErrCodeEmptyContent, "empty content"
		}
		m.Content = c.Content
	case "textcard":
		tc := b.TextCard
		if tc == nil || tc.Title == "" || tc.Description == "" || tc.URL == "" {
			return ErrCodeInvalidParameter, "textcard needs title, description and url"
		}
		m.Title = tc.Title
	case "template_card":
		tc := b.TemplateCard
		if tc == nil {
			return ErrCodeInvalidParameter, "template_card missing"
		}
		switch tc.CardType {
		case "text_notice", "news_notice", "button_interaction", "vote_interaction", "multiple_interaction":
		default:
			return ErrCodeInvalidParameter, "invalid card_type"
		}
		if (interactive(tc.CardType) || tc.TaskID != "") && !taskIDPattern.MatchString(tc.TaskID) {
			return ErrCodeInvalidParameter, "invalid task_id, want at most 128 bytes of [0-9a-zA-Z_-@]"
		}
		if tc.CardType == "button_interaction" {
			if len(tc.ButtonList) == 0 || len(tc.ButtonList) > maxButtons {
				return ErrCodeInvalidParameter, "button_list must have 1-6 buttons"
			}
			for _, btn := range tc.ButtonList {
				if btn.Text == "" || btn.Key == "" || len(btn.Key) > 1024 {
					return ErrCodeInvalidParameter, "invalid button, need text and a key of at most 1024 bytes"
				}
			}
		}
		m.Title, m.CardType, m.TaskID = tc.MainTitle.Title, tc.CardType, tc.TaskID
		m.Buttons = append([]AppButton(nil), tc.ButtonList...)
	case "image", "voice", "video", "file", "news", "mpnews", "miniprogram_notice":
		// accepted, not inspected
	default:
		return ErrCodeInvalidMsgType, "invalid message type"
	}
	return 0, ""
}

// duplicateCheck reports whether the message may go out under
// enable_duplicate_check, and remembers it. Callers hold s.mu.
func (s *Server) duplicateCheck(b *appSendBody, raw []byte, now time.Time) bool {
	if b.EnableDuplicateCheck != 1 {
		return true
	}
	interval := defaultDupInterval
	if b.DuplicateCheckInterval > 0 {
		interval = min(time.Duration(b.DuplicateCheckInterval)*time.Second, maxDupInterval)
	}
	var typed map[string]json.RawMessage
	_ = json.Unmarshal(raw, &typed) // raw was decoded already
	key := strings.Join([]string{b.ToUser, b.ToParty, b.ToTag, b.MsgType, string(typed[b.MsgType])}, "\x00")
	if last, ok := s.app.lastSame[key]; ok && now.Sub(last) < interval {
		return false
	}
	s.app.lastSame[key] = now
	return true
}

// deliverApp applies the per-member rate limits and records m if it reached
// anyone. Callers hold s.mu.
func (s *Server) deliverApp(m *AppMessage, now time.Time) {
	var members []string
	if m.ToUser != "" {
		members = strings.Split(m.ToUser, "|")
	}
	for _, u := range members {
		recent := s.app.deliveries[u][:0]
		lastMinute := 0
		for _, t := range s.app.deliveries[u] {
			if now.Sub(t) < time.Hour {
				recent = append(recent, t)
				if now.Sub(t) < time.Minute {
					lastMinute++
				}
			}
		}
		if lastMinute >= memberPerMinute || len(recent) >= memberPerHour {
			s.app.deliveries[u] = recent
			s.app.dropped++
			continue
		}
		s.app.deliveries[u] = append(recent, now)
		m.Delivered = append(m.Delivered, u)
	}
	if len(m.Delivered) > 0 || m.ToParty != "" || m.ToTag != "" {
		s.app.messages = append(s.app.messages, *m)
	}
}

// handleUpdateCard is POST /cgi-bin/message/update_template_card (doc
// 94888). The response_code must be one the double issued, in message/send
// or in a template_card_event, and is usable once within 72 h. A bad one
// answers ErrCodeInvalidParameter "invalid response_code": the
// documentation names no specific errcode, so this is the double's choice.
func (s *Server) handleUpdateCard(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r, s.cfg.AppSecret) {
		return
	}
	var b struct {
		UserIDs      []string        `json:"userids"`
		AgentID      json.RawMessage `json:"agentid"`
		ResponseCode string          `json:"response_code"`
		Button       *struct {
			ReplaceName string `json:"replace_name"`
		} `json:"button"`
		TemplateCard json.RawMessage `json:"template_card"`
	}
	raw, ok := decodeBody(w, r, &b)
	if !ok {
		return
	}
	if !s.agentIDMatches(b.AgentID) {
		writeError(w, ErrCodeInvalidAgentID, "invalid agentid")
		return
	}
	if (b.Button == nil || b.Button.ReplaceName == "") && len(b.TemplateCard) == 0 {
		writeError(w, ErrCodeInvalidParameter, "need button.replace_name or template_card")
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	rc, ok := s.app.responseCodes[b.ResponseCode]
	if !ok || rc.used || now.After(rc.expires) {
		writeError(w, ErrCodeInvalidParameter, "invalid response_code")
		return
	}
	rc.used = true
	u := CardUpdate{UserIDs: b.UserIDs, ResponseCode: b.ResponseCode, Body: raw, Time: now}
	if b.Button != nil {
		u.ReplaceName = b.Button.ReplaceName
	}
	s.app.updates = append(s.app.updates, u)
	writeJSON(w, struct {
		apiError
		InvalidUser []string `json:"invaliduser"`
	}{apiError{0, "ok"}, []string{}})
}
