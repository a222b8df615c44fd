package main

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/loopdesk/loopdesk/channels/wecom/wecomtest"
)

// mountControl adds the /double/ endpoints a human drives the double with.
// Each action answers the status loopdesk's callback endpoint gave, so a
// failing hook shows up in the curl output.
func mountControl(s *wecomtest.Server) {
	s.Handle("GET /double/{$}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, controlHelp)
	}))
	s.Handle("POST /double/customer", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			OpenKfID string `json:"open_kfid"`
			User     string `json:"user"`
			Text     string `json:"text"`
		}
		if !decode(w, r, &in) || !require(w, in.OpenKfID, in.User, in.Text) {
			return
		}
		msgid, status, err := s.CustomerSends(in.OpenKfID, in.User, wecomtest.KFMessage{Text: in.Text})
		reply(w, status, err, map[string]any{"msgid": msgid})
	}))
	s.Handle("POST /double/enter", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			OpenKfID string `json:"open_kfid"`
			User     string `json:"user"`
		}
		if !decode(w, r, &in) || !require(w, in.OpenKfID, in.User) {
			return
		}
		code, status, err := s.EnterSession(in.OpenKfID, in.User)
		reply(w, status, err, map[string]any{"welcome_code": code})
	}))
	s.Handle("POST /double/agent", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			User string `json:"user"`
			Text string `json:"text"`
		}
		if !decode(w, r, &in) || !require(w, in.User, in.Text) {
			return
		}
		status, err := s.AgentSends(in.User, in.Text)
		reply(w, status, err, map[string]any{})
	}))
	s.Handle("POST /double/click", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			User   string `json:"user"`
			TaskID string `json:"task_id"`
			Key    string `json:"key"`
		}
		if !decode(w, r, &in) || !require(w, in.User, in.TaskID, in.Key) {
			return
		}
		status, err := s.ClickButton(in.User, in.TaskID, in.Key)
		reply(w, status, err, map[string]any{})
	}))
	s.Handle("GET /double/sent", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, nonNil(s.Sent()))
	}))
	s.Handle("GET /double/app", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, nonNil(s.AppMessages()))
	}))
}

const controlHelp = `WeCom double control endpoints:
  POST /double/customer {"open_kfid","user","text"}  a customer writes (kf callback)
  POST /double/enter    {"open_kfid","user"}         a customer opens the chat (enter_session)
  POST /double/agent    {"user","text"}              an agent types in the app (app callback)
  POST /double/click    {"user","task_id","key"}     an agent clicks a card button
  GET  /double/sent                                  what customers received (send_msg)
  GET  /double/app                                   what agents received (message/send)
`

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad JSON: " + err.Error()})
		return false
	}
	return true
}

func require(w http.ResponseWriter, fields ...string) bool {
	for _, f := range fields {
		if f == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "missing field; see GET /double/"})
			return false
		}
	}
	return true
}

// reply answers an action: 200 with the callback's status, or 502 when the
// callback could not be delivered.
func reply(w http.ResponseWriter, status int, err error, out map[string]any) {
	out["callback_status"] = status
	code := http.StatusOK
	if err != nil {
		out["error"] = err.Error()
		code = http.StatusBadGateway
	}
	writeJSON(w, code, out)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
