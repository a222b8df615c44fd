package agentapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/agentapi"
	"github.com/loopdesk/loopdesk/auth"
	"github.com/loopdesk/loopdesk/ticketcore"
)

// The ticket core is what the API is written against.
var _ agentapi.Tickets = (*ticketcore.Service)(nil)

// Test tokens; only their hashes are configured.
const (
	rootToken  = "ldk_test_root"  // admin "root"
	aliceToken = "ldk_test_alice" // agent "alice"
	bobToken   = "ldk_test_bob"   // agent "bob"
	vicToken   = "ldk_test_vic"   // viewer "vic"
)

var testNow = time.Date(2026, 11, 27, 17, 55, 0, 0, time.FixedZone("CST", 8*3600))

type harness struct {
	t    *testing.T
	fake *fakeTickets
	mux  *http.ServeMux
}

func newHarness(t *testing.T, cfg agentapi.Config) *harness {
	t.Helper()
	tokens, err := auth.NewTokens([]auth.Token{
		{Name: "root", Role: auth.RoleAdmin, SHA256: auth.Hash(rootToken)},
		{Name: "alice", Role: auth.RoleAgent, SHA256: auth.Hash(aliceToken)},
		{Name: "bob", Role: auth.RoleAgent, SHA256: auth.Hash(bobToken)},
		{Name: "vic", Role: auth.RoleViewer, SHA256: auth.Hash(vicToken)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return testNow }
	}
	fake := newFake()
	mux := http.NewServeMux()
	agentapi.New(cfg, fake, tokens).Register(mux)
	return &harness{t: t, fake: fake, mux: mux}
}

// do sends a request; body is sent as JSON unless it is a *bytes.Buffer
// (sent as is, contentType naming it).
func (h *harness) do(method, path, token string, body any) *httptest.ResponseRecorder {
	h.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req := httptest.NewRequest(method, path, r)
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return h.send(req, token)
}

func (h *harness) send(req *http.Request, token string) *httptest.ResponseRecorder {
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.mux.ServeHTTP(rec, req)
	return rec
}

// want checks the status and, for errors, that the body is the error shape
// with code.
func want(t *testing.T, rec *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if code == "" {
		return
	}
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("error body %q: %v", rec.Body, err)
	}
	if e.Error.Code != code || e.Error.Message == "" {
		t.Fatalf("error %+v, want code %q with a message", e.Error, code)
	}
}

func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
	return v
}

// noWrites fails when the fake saw any call but reads.
func noWrites(t *testing.T, f *fakeTickets) {
	t.Helper()
	for _, c := range f.allCalls() {
		switch c.Method {
		case "Ticket", "Tickets", "Contact", "Contacts", "Agents", "Attachment":
		default:
			t.Fatalf("a refused request called %s%v", c.Method, c.Args)
		}
	}
}

// route is one endpoint with a body it accepts.
type route struct {
	method, path string
	body         any
	role         string // the weakest role allowed
}

var routes = []route{
	{"GET", "/api/v1/tickets", nil, auth.RoleViewer},
	{"GET", "/api/v1/tickets/T-000001", nil, auth.RoleViewer},
	{"PATCH", "/api/v1/tickets/T-000001", `{"status":"open"}`, auth.RoleAgent},
	{"POST", "/api/v1/tickets/T-000001/replies", `{"text":"您好，已为您加急处理"}`, auth.RoleAgent},
	{"POST", "/api/v1/tickets/T-000001/notes", `{"text":"已联系仓库"}`, auth.RoleAgent},
	{"POST", "/api/v1/tickets/T-000002/merge", `{"into":"T-000001"}`, auth.RoleAgent},
	{"POST", "/api/v1/tickets/T-000002/unmerge", nil, auth.RoleAgent},
	{"POST", "/api/v1/tickets/T-000001/links", `{"ticket":"T-000002","type":"related"}`, auth.RoleAgent},
	{"DELETE", "/api/v1/tickets/T-000001/links/T-000002", nil, auth.RoleAgent},
	{"POST", "/api/v1/tickets/T-000001/stage/complete", `{"fields":{"refund_amount":"129.00"}}`, auth.RoleAgent},
	{"POST", "/api/v1/tickets/T-000001/broadcast", `{"text":"物流已恢复","solve":true}`, auth.RoleAgent},
	{"GET", "/api/v1/tickets/T-000001/attachments/" + strings.Repeat("ab", 32), nil, auth.RoleViewer},
	{"GET", "/api/v1/contacts", nil, auth.RoleViewer},
	{"GET", "/api/v1/contacts/C-000001", nil, auth.RoleViewer},
	{"PATCH", "/api/v1/contacts/C-000001", `{"tier":"vip"}`, auth.RoleAgent},
	{"POST", "/api/v1/contacts/C-000001/identities", `{"channel":"email","id":"wf@example.com"}`, auth.RoleAgent},
	{"GET", "/api/v1/agents", nil, auth.RoleViewer},
	{"PUT", "/api/v1/agents/alice/availability", `{"available":false}`, auth.RoleAgent},
	{"POST", "/api/v1/pages/T-000001-1764237300000000000/ack", nil, auth.RoleAgent},
	{"POST", "/api/v1/rules/test", `{"ticket":{"intent":"refund"}}`, auth.RoleAgent},
}

func TestAuthOnEveryRoute(t *testing.T) {
	for _, rt := range routes {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			h := newHarness(t, agentapi.Config{})
			rec := h.do(rt.method, rt.path, "", rt.body)
			want(t, rec, http.StatusUnauthorized, "unauthorized")
			if rec.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			want(t, h.do(rt.method, rt.path, "ldk_not_a_token", rt.body), http.StatusUnauthorized, "unauthorized")
			if rt.role == auth.RoleAgent {
				want(t, h.do(rt.method, rt.path, vicToken, rt.body), http.StatusForbidden, "forbidden")
			}
			if n := len(h.fake.allCalls()); n != 0 {
				t.Fatalf("refused requests made %d calls: %v", n, h.fake.allCalls())
			}
			// The weakest allowed role gets past auth (the fake holds no
			// attachment, so that one answers 404 from the core).
			token := aliceToken
			if rt.role == auth.RoleViewer {
				token = vicToken
			}
			rec = h.do(rt.method, rt.path, token, rt.body)
			if rec.Code == http.StatusUnauthorized || rec.Code == http.StatusForbidden || rec.Code >= 500 {
				t.Fatalf("%s: status %d: %s", rt.role, rec.Code, rec.Body)
			}
			if len(h.fake.allCalls()) == 0 {
				t.Fatal("an allowed request did not reach the core")
			}
		})
	}
}

func TestCoreErrorsMapToStatuses(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{ticketcore.ErrNotFound, http.StatusNotFound, "not_found"},
		{ticketcore.ErrConflict, http.StatusConflict, "conflict"},
		{ticketcore.ErrInvalid, http.StatusBadRequest, "invalid_request"},
		{ticketcore.ErrIncomplete, http.StatusUnprocessableEntity, "incomplete"},
		{errors.New("disk on fire"), http.StatusInternalServerError, "internal"},
	} {
		t.Run(tc.code, func(t *testing.T) {
			h := newHarness(t, agentapi.Config{Logger: discard()})
			h.fake.errs["Change"] = fmt.Errorf("change ticket T-000001: %w: the ticket breached its SLA", tc.err)
			rec := h.do("PATCH", "/api/v1/tickets/T-000001", aliceToken, `{"status":"solved"}`)
			want(t, rec, tc.status, tc.code)
			if tc.status == http.StatusInternalServerError && strings.Contains(rec.Body.String(), "disk on fire") {
				t.Error("an internal error leaked to the client")
			}
		})
	}
}

func TestCanceledRequestIs503(t *testing.T) {
	h := newHarness(t, agentapi.Config{Logger: discard()})
	h.fake.errs["Tickets"] = context.Canceled
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequestWithContext(ctx, "GET", "/api/v1/tickets", nil)
	want(t, h.send(req, vicToken), http.StatusServiceUnavailable, "canceled")
}

func TestMalformedIDsAreNotFound(t *testing.T) {
	for _, rt := range []route{
		{"GET", "/api/v1/tickets/T-1", nil, ""},
		{"GET", "/api/v1/tickets/t-000001", nil, ""},
		{"GET", "/api/v1/tickets/T-0000001", nil, ""},
		{"PATCH", "/api/v1/tickets/123", `{"status":"open"}`, ""},
		{"POST", "/api/v1/tickets/T-abc/merge", `{"into":"T-000001"}`, ""},
		{"POST", "/api/v1/tickets/T-1/unmerge", nil, ""},
		{"POST", "/api/v1/tickets/T-000000/links", `{"ticket":"T-000002","type":"related"}`, ""},
		{"DELETE", "/api/v1/tickets/T-000001/links/T-2", nil, ""},
		{"POST", "/api/v1/tickets/C-000001/stage/complete", nil, ""},
		{"POST", "/api/v1/tickets/T-x/broadcast", `{"text":"物流已恢复"}`, ""},
		{"POST", "/api/v1/tickets/T-x/attachments", nil, ""},
		{"GET", "/api/v1/tickets/T-x/attachments/" + strings.Repeat("ab", 32), nil, ""},
		{"GET", "/api/v1/tickets/T-000001/attachments/" + strings.Repeat("AB", 32), nil, ""},
		{"GET", "/api/v1/tickets/T-000001/attachments/..%2f..%2fetc%2fpasswd", nil, ""},
		{"GET", "/api/v1/contacts/C-1", nil, ""},
		{"GET", "/api/v1/contacts/T-000001", nil, ""},
		{"PATCH", "/api/v1/contacts/c-000001", `{"tier":"vip"}`, ""},
		{"POST", "/api/v1/contacts/C-00000x/identities", `{"channel":"email","id":"wf@example.com"}`, ""},
	} {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			h := newHarness(t, agentapi.Config{})
			want(t, h.do(rt.method, rt.path, rootToken, rt.body), http.StatusNotFound, "not_found")
			if calls := h.fake.allCalls(); len(calls) != 0 {
				t.Fatalf("a malformed id reached the core: %v", calls)
			}
		})
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
