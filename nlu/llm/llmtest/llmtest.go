// Package llmtest is a test double of an OpenAI-compatible chat-completions
// server: an httptest.Server that decodes each request as OpenAI documents
// it, lets the test check it, and answers with a scripted Reply written
// byte for byte in OpenAI's response format (answers, tool calls, errors
// with Retry-After, truncation, a server that never answers).
//
// It is for tests only; it imports go-openai just to decode requests.
package llmtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	openai "github.com/sashabaranov/go-openai"
)

// Request is one request as the server received it.
type Request struct {
	openai.ChatCompletionRequest
	// Raw is the request body.
	Raw []byte
	// Header holds the HTTP headers (Authorization, Content-Type).
	Header http.Header
	// N counts requests, from 1.
	N int
}

// Reply is what the server answers. The zero Reply is a 200 with empty content.
type Reply struct {
	// Status is the HTTP status; 0 means 200. Any status of 400 or more
	// answers OpenAI's error object.
	Status int
	// RetryAfter, when set, is sent as the Retry-After header.
	RetryAfter string
	// Content is the assistant message text.
	Content string
	// ToolArguments, when set, answers a call of the request's forced
	// tool with these arguments instead of Content.
	ToolArguments string
	// FinishReason defaults to "stop".
	FinishReason string
	// Block makes the server never answer: it waits until the client gives
	// up (its context ends) or the server closes.
	Block bool
	// Usage defaults to 100 prompt and 20 completion tokens.
	PromptTokens, CompletionTokens int
}

// Server is the fake. Answer is called for every request, one at a time
// in arrival order unless requests overlap; it must be safe for that.
type Server struct {
	*httptest.Server
	answer func(Request) Reply

	mu       sync.Mutex
	requests []Request
	closing  chan struct{}
	once     sync.Once
}

// NewServer starts a server answering with answer and closes it when the
// test ends.
func NewServer(t testing.TB, answer func(Request) Reply) *Server {
	s := &Server{answer: answer, closing: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// BaseURL is the API root to configure (…/v1).
func (s *Server) BaseURL() string { return s.URL + "/v1" }

// Close unblocks Block replies and stops the server.
func (s *Server) Close() {
	s.once.Do(func() { close(s.closing) })
	s.Server.Close()
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Calls is how many requests arrived.
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		writeError(w, http.StatusNotFound, "unknown endpoint "+r.Method+" "+r.URL.Path)
		return
	}
	body, err := io.ReadAll(r.Body)
	var req Request
	if err == nil {
		err = json.Unmarshal(body, &req.ChatCompletionRequest)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "cannot parse the request body: "+err.Error())
		return
	}
	req.Raw, req.Header = body, r.Header.Clone()
	s.mu.Lock()
	s.requests = append(s.requests, req)
	req.N = len(s.requests)
	s.mu.Unlock()

	rep := s.answer(req)
	switch {
	case rep.Block:
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
		return
	case rep.Status >= 400:
		if rep.RetryAfter != "" {
			w.Header().Set("Retry-After", rep.RetryAfter)
		}
		writeError(w, rep.Status, http.StatusText(rep.Status))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(max(rep.Status, http.StatusOK))
	fmt.Fprint(w, completion(req, rep))
}

// completion writes a chat.completion object as OpenAI sends it.
func completion(req Request, rep Reply) string {
	message := map[string]any{"role": "assistant", "content": rep.Content, "refusal": nil}
	if rep.ToolArguments != "" {
		name := ""
		if tc, ok := req.ToolChoice.(map[string]any); ok {
			if f, ok := tc["function"].(map[string]any); ok {
				name, _ = f["name"].(string)
			}
		}
		message["content"] = nil
		message["tool_calls"] = []any{map[string]any{"id": "call_1", "type": "function",
			"function": map[string]any{"name": name, "arguments": rep.ToolArguments}}}
	}
	prompt, compl := rep.PromptTokens, rep.CompletionTokens
	if prompt == 0 && compl == 0 {
		prompt, compl = 100, 20
	}
	b, _ := json.Marshal(map[string]any{
		"id": "chatcmpl-test", "object": "chat.completion", "created": 1767225600, "model": req.Model,
		"choices": []any{map[string]any{"index": 0, "message": message, "logprobs": nil,
			"finish_reason": cmpOr(rep.FinishReason, "stop")}},
		"usage":              map[string]any{"prompt_tokens": prompt, "completion_tokens": compl, "total_tokens": prompt + compl},
		"system_fingerprint": "fp_test",
	})
	return string(b)
}

// writeError writes OpenAI's error object.
func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"error": map[string]any{
		"message": msg, "type": "test_error", "param": nil, "code": nil}})
	w.Write(b)
}

func cmpOr(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// Answer is the JSON of an answer in the extractor's schema; nil fields
// are written as {}.
func Answer(intent, priority string, fields map[string]string, confidence float64) string {
	if fields == nil {
		fields = map[string]string{}
	}
	b, _ := json.Marshal(map[string]any{"intent": intent, "priority": priority, "fields": fields, "confidence": confidence})
	return string(b)
}

// Text is every message of the request, joined by newlines: what the
// model would read.
func (r Request) Text() string {
	var b strings.Builder
	for _, m := range r.Messages {
		b.WriteString(m.Content)
		b.WriteByte('\n')
	}
	return b.String()
}

// Message is the customer's message: the text inside the last
// <message>…</message> of the last user message.
func (r Request) Message() string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		m := r.Messages[i]
		if m.Role != openai.ChatMessageRoleUser {
			continue
		}
		start := strings.LastIndex(m.Content, "<message>\n")
		end := strings.LastIndex(m.Content, "\n</message>")
		if start >= 0 && end > start {
			return m.Content[start+len("<message>\n") : end]
		}
	}
	return ""
}

// Schema is the JSON schema the request carries — response_format
// json_schema or the forced tool's parameters — or nil.
func (r Request) Schema() map[string]any {
	if rf := r.ResponseFormat; rf != nil && rf.JSONSchema != nil && rf.JSONSchema.Schema != nil {
		b, _ := rf.JSONSchema.Schema.MarshalJSON()
		var m map[string]any
		json.Unmarshal(b, &m)
		return m
	}
	for _, t := range r.Tools {
		if t.Function != nil {
			if m, ok := t.Function.Parameters.(map[string]any); ok {
				return m
			}
		}
	}
	return nil
}
