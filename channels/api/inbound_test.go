package api_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/channels/api"
)

const inboundPath = "/api/v1/channels/api/messages"

const bearer = "Bearer " + testToken

func TestInboundRejects(t *testing.T) {
	long := strings.Repeat("x", api.MaxIDBytes+1)
	valid := `{"external_id":"e-1","thread":"t-1","from":{"id":"u-1"},"text":"hi"}`
	tests := []struct {
		name    string
		auth    string
		body    string
		chunked bool // no Content-Length, so the limit is found while reading
		status  int
		code    string
	}{
		{name: "no authorization, before the body is read", body: `{not json`, status: 401, code: "unauthorized"},
		{name: "wrong token", auth: "Bearer nope", body: valid, status: 401, code: "unauthorized"},
		{name: "token prefix", auth: bearer[:len(bearer)-1], body: valid, status: 401, code: "unauthorized"},
		{name: "basic scheme", auth: "Basic " + testToken, body: valid, status: 401, code: "unauthorized"},
		{name: "empty bearer", auth: "Bearer ", body: valid, status: 401, code: "unauthorized"},
		{name: "body too large", auth: bearer, body: bigBody(), status: 413, code: "body_too_large"},
		{name: "body too large chunked", auth: bearer, body: bigBody(), chunked: true, status: 413, code: "body_too_large"},
		{name: "malformed json", auth: bearer, body: `{"external_id":`, status: 400, code: "invalid_json"},
		{name: "empty body", auth: bearer, body: ``, status: 400, code: "invalid_json"},
		{name: "array", auth: bearer, body: `[1]`, status: 400, code: "invalid_json"},
		{name: "wrong type", auth: bearer, body: `{"external_id":1,"thread":"t","text":"hi"}`, status: 400, code: "invalid_json"},
		{name: "two values", auth: bearer, body: valid + valid, status: 400, code: "invalid_json"},
		{name: "missing text", auth: bearer, body: `{"external_id":"e-1","thread":"t-1"}`, status: 400, code: "missing_text"},
		{name: "blank text", auth: bearer, body: `{"external_id":"e-1","thread":"t-1","text":" \n\t"}`, status: 400, code: "missing_text"},
		{name: "missing external_id", auth: bearer, body: `{"thread":"t-1","text":"hi"}`, status: 400, code: "missing_external_id"},
		{name: "blank external_id", auth: bearer, body: `{"external_id":"  ","thread":"t-1","text":"hi"}`, status: 400, code: "missing_external_id"},
		{name: "no thread and no from.id", auth: bearer, body: `{"external_id":"e-1","from":{"name":"A"},"text":"hi"}`, status: 400, code: "missing_thread"},
		{name: "nul in external_id", auth: bearer, body: `{"external_id":"e\u0000","thread":"t","text":"hi"}`, status: 400, code: "invalid_id"},
		{name: "newline in thread", auth: bearer, body: `{"external_id":"e","thread":"t\n2","text":"hi"}`, status: 400, code: "invalid_id"},
		{name: "nul in from.id", auth: bearer, body: `{"external_id":"e","thread":"t","from":{"id":"u\u0000"},"text":"hi"}`, status: 400, code: "invalid_id"},
		{name: "long external_id", auth: bearer, body: `{"external_id":"` + long + `","thread":"t","text":"hi"}`, status: 400, code: "invalid_id"},
		{name: "long thread", auth: bearer, body: `{"external_id":"e","thread":"` + long + `","text":"hi"}`, status: 400, code: "invalid_id"},
		{name: "long from.id", auth: bearer, body: `{"external_id":"e","thread":"t","from":{"id":"` + long + `"},"text":"hi"}`, status: 400, code: "invalid_id"},
		{name: "invalid base64", auth: bearer, body: attachmentBody(`{"filename":"a.png","data_base64":"!!notbase64"}`), status: 400, code: "invalid_attachment"},
		{name: "empty attachment", auth: bearer, body: attachmentBody(`{"filename":"a.png","data_base64":""}`), status: 400, code: "invalid_attachment"},
		{name: "bad content type", auth: bearer, body: attachmentBody(`{"filename":"a","content_type":"not a type","data_base64":"aGk="}`), status: 400, code: "invalid_attachment"},
		{name: "control in filename", auth: bearer, body: attachmentBody(`{"filename":"a\u0007b","data_base64":"aGk="}`), status: 400, code: "invalid_attachment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &fakeHandler{receipt: channels.Receipt{MessageID: "m-1"}}
			_, mux := newChannel(t, api.Config{MaxBodyBytes: 1024}, h, nil)
			var body io.Reader = strings.NewReader(tt.body)
			if tt.chunked {
				body = io.MultiReader(body) // hides the length
			}
			rec := serve(mux, http.MethodPost, inboundPath, tt.auth, body)
			checkError(t, rec, tt.status, tt.code)
			if tt.status == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") != "Bearer" {
				t.Errorf("WWW-Authenticate = %q, want Bearer", rec.Header().Get("WWW-Authenticate"))
			}
			if got := h.messages(); len(got) != 0 {
				t.Errorf("handler got %d messages, want none", len(got))
			}
		})
	}
}

func bigBody() string {
	return `{"external_id":"e-1","thread":"t-1","text":"` + strings.Repeat("a", 2048) + `"}`
}

func attachmentBody(attachment string) string {
	return `{"external_id":"e-1","thread":"t-1","text":"see file","attachments":[` + attachment + `]}`
}

func TestInboundAccepts(t *testing.T) {
	png := "\x89PNG\r\n\x1a\n0000"
	tests := []struct {
		name      string
		cfg       api.Config
		auth      string
		body      string
		duplicate bool
		want      channels.Message
	}{{
		name: "full message",
		body: `{"external_id":"app-42-0001","thread":"user-42","from":{"id":"user-42","name":"王芳","phone":"13800138000","email":"wf@example.com"},"text":"订单 2026112500012345 还没发货"}`,
		want: channels.Message{Channel: channels.API, ExternalID: "app-42-0001", Thread: "user-42",
			From: channels.Party{ID: "user-42", Name: "王芳", Phone: "13800138000", Email: "wf@example.com"},
			Text: "订单 2026112500012345 还没发货"},
	}, {
		name:      "duplicate passes through",
		body:      `{"external_id":"e-1","thread":"t-1","text":"again"}`,
		duplicate: true,
		want:      channels.Message{Channel: channels.API, ExternalID: "e-1", Thread: "t-1", Text: "again"},
	}, {
		name: "thread defaults to from.id",
		body: `{"external_id":"e-2","from":{"id":"user-7"},"text":"hello"}`,
		want: channels.Message{Channel: channels.API, ExternalID: "e-2", Thread: "user-7", From: channels.Party{ID: "user-7"}, Text: "hello"},
	}, {
		name: "attachments decoded",
		body: attachmentBody(`{"filename":"a.txt","content_type":"text/plain","data_base64":"aGVsbG8="},` +
			`{"filename":"../../x/b.png","data_base64":"iVBORw0KGgowMDAw"},` +
			`{"filename":"c.bin","content_type":"application/octet-stream","data_base64":"aGk"}`),
		want: channels.Message{Channel: channels.API, ExternalID: "e-1", Thread: "t-1", Text: "see file",
			Attachments: []channels.Attachment{
				{Filename: "a.txt", ContentType: "text/plain", Size: 5, Data: []byte("hello")},
				{Filename: "b.png", ContentType: "image/png", Size: int64(len(png)), Data: []byte(png)},
				{Filename: "c.bin", ContentType: "application/octet-stream", Size: 2, Data: []byte("hi")},
			}},
	}, {
		name: "token hash and lower-case scheme",
		cfg:  api.Config{TokenHash: api.HashToken(testToken)},
		auth: "bearer " + testToken,
		body: `{"external_id":"e-3","thread":"t","text":"x"}`,
		want: channels.Message{Channel: channels.API, ExternalID: "e-3", Thread: "t", Text: "x"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &fakeHandler{receipt: channels.Receipt{MessageID: "M-000001", Duplicate: tt.duplicate}}
			_, mux := newChannel(t, tt.cfg, h, nil)
			auth := tt.auth
			if auth == "" {
				auth = bearer
			}
			rec := serve(mux, http.MethodPost, inboundPath, auth, strings.NewReader(tt.body))
			if rec.Code != http.StatusAccepted {
				t.Fatalf("status = %d, want 202; body %s", rec.Code, rec.Body)
			}
			var got map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %s: %v", rec.Body, err)
			}
			want := map[string]any{"message_id": "M-000001", "duplicate": tt.duplicate}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("body = %v, want %v", got, want)
			}
			msgs := h.messages()
			if len(msgs) != 1 || !reflect.DeepEqual(msgs[0], tt.want) {
				t.Errorf("handler got %+v, want [%+v]", msgs, tt.want)
			}
		})
	}
}

func TestInboundHandlerErrors(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		status     int
		code       string
		retryAfter string
		logLines   int
	}{
		{name: "invalid", err: channels.Invalid("no usable text"), status: 400, code: "invalid_message"},
		{name: "wrapped invalid", err: fmt.Errorf("check: %w", channels.Invalid("spam")), status: 400, code: "invalid_message"},
		{name: "store down", err: errors.New("bolt: database not open"), status: 503, code: "unavailable", retryAfter: "1", logLines: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs logBuffer
			h := &fakeHandler{err: tt.err}
			_, mux := newChannel(t, api.Config{Logger: logs.logger()}, h, nil)
			rec := serve(mux, http.MethodPost, inboundPath, bearer,
				strings.NewReader(`{"external_id":"e-9","thread":"t-9","text":"hi"}`))
			checkError(t, rec, tt.status, tt.code)
			if got := rec.Header().Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tt.retryAfter)
			}
			if strings.Contains(rec.Body.String(), "bolt") {
				t.Errorf("body %s leaks the store's error", rec.Body)
			}
			lines := logs.lines()
			if len(lines) != tt.logLines {
				t.Fatalf("logged %d lines, want %d: %q", len(lines), tt.logLines, lines)
			}
			for _, l := range lines {
				if !strings.Contains(l, `"channel":"api"`) || !strings.Contains(l, `"external_id":"e-9"`) {
					t.Errorf("log line %s lacks channel or external_id", l)
				}
			}
		})
	}
}

func TestInboundRoutes(t *testing.T) {
	_, mux := newChannel(t, api.Config{}, nil, nil)
	rec := serve(mux, http.MethodGet, inboundPath, bearer, nil)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("GET %s = %d, want 405", inboundPath, rec.Code)
	}
}
