package agentapi_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/loopdesk/loopdesk/agentapi"
	"github.com/loopdesk/loopdesk/ticketcore"
)

func TestMergeAnswersTheParent(t *testing.T) {
	h := newHarness(t, agentapi.Config{})
	rec := h.do("POST", "/api/v1/tickets/T-000002/merge", aliceToken, `{"into":"T-000001"}`)
	want(t, rec, http.StatusOK, "")
	got := decode[ticketcore.Ticket](t, rec)
	if got.ID != "T-000001" || len(got.Timeline) == 0 {
		t.Fatalf("answer %+v, want the parent with its timeline", got)
	}
	if c := h.fake.callsTo("Merge"); len(c) != 1 || !reflect.DeepEqual(c[0].Args, []any{"T-000002", "T-000001", "alice"}) {
		t.Fatalf("calls %v", c)
	}
}

func TestUnmergeAnswersTheChild(t *testing.T) {
	h := newHarness(t, agentapi.Config{})
	rec := h.do("POST", "/api/v1/tickets/T-000002/unmerge", aliceToken, nil)
	want(t, rec, http.StatusOK, "")
	if got := decode[ticketcore.Ticket](t, rec); got.ID != "T-000002" {
		t.Fatalf("answer %+v", got)
	}
	h.fake.errs["Unmerge"] = ticketcore.ErrConflict
	want(t, h.do("POST", "/api/v1/tickets/T-000002/unmerge", aliceToken, nil), http.StatusConflict, "conflict")
}

func TestLinkAndUnlink(t *testing.T) {
	h := newHarness(t, agentapi.Config{})
	rec := h.do("POST", "/api/v1/tickets/T-000001/links", aliceToken, `{"ticket":"T-000003","type":"child"}`)
	want(t, rec, http.StatusOK, "")
	if got := decode[ticketcore.Ticket](t, rec); got.ID != "T-000001" {
		t.Fatalf("answer %+v", got)
	}
	if c := h.fake.callsTo("Link"); !reflect.DeepEqual(c[0].Args, []any{"T-000001", "T-000003", "child", "alice"}) {
		t.Fatalf("calls %v", c)
	}
	rec = h.do("DELETE", "/api/v1/tickets/T-000001/links/T-000003", rootToken, nil)
	want(t, rec, http.StatusOK, "")
	if c := h.fake.callsTo("Unlink"); !reflect.DeepEqual(c[0].Args, []any{"T-000001", "T-000003", "root"}) {
		t.Fatalf("calls %v", c)
	}
	h.fake.errs["Unlink"] = ticketcore.ErrNotFound
	want(t, h.do("DELETE", "/api/v1/tickets/T-000001/links/T-000002", rootToken, nil), http.StatusNotFound, "not_found")
}

func TestFlowRefusalsWriteNothing(t *testing.T) {
	for _, tc := range []struct {
		path, body, code string
	}{
		{"/T-000002/merge", `{}`, "invalid_request"},
		{"/T-000002/merge", `{"into":"T-2"}`, "invalid_request"},
		{"/T-000002/merge", `{"into":"T-000002"}`, "invalid_request"},
		{"/T-000002/merge", `{"into":"T-000001","by":"bob"}`, "invalid_json"},
		{"/T-000002/merge", ``, "invalid_json"},
		{"/T-000001/links", `{"ticket":"T-000002","type":"sibling"}`, "invalid_request"},
		{"/T-000001/links", `{"ticket":"T-000001","type":"related"}`, "invalid_request"},
		{"/T-000001/links", `{"ticket":"","type":"related"}`, "invalid_request"},
		{"/T-000001/stage/complete", `{"fields":{"":"129.00"}}`, "invalid_request"},
		{"/T-000001/stage/complete", `{"field":{"refund_amount":"129.00"}}`, "invalid_json"},
		{"/T-000001/stage/complete", `{"fields":{"refund_amount":129}}`, "invalid_json"},
		{"/T-000001/broadcast", `{"solve":true}`, "missing_text"},
		{"/T-000001/broadcast", `{"text":"物流已恢复","solved":true}`, "invalid_json"},
	} {
		t.Run(tc.path+" "+tc.body, func(t *testing.T) {
			h := newHarness(t, agentapi.Config{})
			want(t, h.do("POST", "/api/v1/tickets"+tc.path, aliceToken, tc.body), http.StatusBadRequest, tc.code)
			noWrites(t, h.fake)
		})
	}
}

func TestCompleteStage(t *testing.T) {
	h := newHarness(t, agentapi.Config{})
	rec := h.do("POST", "/api/v1/tickets/T-000001/stage/complete", aliceToken,
		`{"fields":{"refund_amount":"129.00","refund_channel":"原路退回"}}`)
	want(t, rec, http.StatusOK, "")
	if got := decode[ticketcore.Ticket](t, rec); got.ID != "T-000001" || len(got.Timeline) == 0 {
		t.Fatalf("answer %+v", got)
	}
	wantArgs := []any{"T-000001", "alice", map[string]string{"refund_amount": "129.00", "refund_channel": "原路退回"}}
	if c := h.fake.callsTo("CompleteStage"); !reflect.DeepEqual(c[0].Args, wantArgs) {
		t.Fatalf("call %v", c[0].Args)
	}

	// The body is optional: a stage without required fields completes as is.
	want(t, h.do("POST", "/api/v1/tickets/T-000001/stage/complete", aliceToken, nil), http.StatusOK, "")
	want(t, h.do("POST", "/api/v1/tickets/T-000001/stage/complete", aliceToken, ""), http.StatusOK, "")
	chunked := httptest.NewRequest("POST", "/api/v1/tickets/T-000001/stage/complete", strings.NewReader(""))
	chunked.ContentLength = -1 // length unknown: the body is read to find it empty
	want(t, h.send(chunked, aliceToken), http.StatusOK, "")
	if n := len(h.fake.callsTo("CompleteStage")); n != 4 {
		t.Fatalf("%d calls, want 4", n)
	}
	for _, c := range h.fake.callsTo("CompleteStage")[1:] {
		if c.Args[2].(map[string]string) != nil {
			t.Fatalf("fields %v from an empty body", c.Args[2])
		}
	}

	h.fake.errs["CompleteStage"] = ticketcore.ErrIncomplete
	rec = h.do("POST", "/api/v1/tickets/T-000001/stage/complete", aliceToken, nil)
	want(t, rec, http.StatusUnprocessableEntity, "incomplete")
}

func TestBroadcastAnswersTheCount(t *testing.T) {
	h := newHarness(t, agentapi.Config{})
	h.fake.answered = 11
	text := "各位顾客您好：华北仓物流已恢复，今日起陆续发出，给您带来不便深表歉意。"
	rec := h.do("POST", "/api/v1/tickets/T-000001/broadcast", aliceToken, map[string]any{"text": text, "solve": true})
	want(t, rec, http.StatusOK, "")
	if body := strings.TrimSpace(rec.Body.String()); body != `{"tickets":11}` {
		t.Fatalf("body %s", body)
	}
	if c := h.fake.callsTo("Broadcast"); !reflect.DeepEqual(c[0].Args, []any{"T-000001", "alice", text, true}) {
		t.Fatalf("call %v", c[0].Args)
	}
}

func TestWriteAnswersEvenWhenTheRereadFails(t *testing.T) {
	h := newHarness(t, agentapi.Config{Logger: discard()})
	h.fake.errs["Ticket"] = errors.New("store busy")
	rec := h.do("POST", "/api/v1/tickets/T-000002/merge", aliceToken, `{"into":"T-000001"}`)
	want(t, rec, http.StatusOK, "")
	if got := decode[ticketcore.Ticket](t, rec); got.ID != "T-000001" {
		t.Fatalf("answer %+v, want the parent as the merge returned it", got)
	}
}
