package agentapi_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/loopdesk/loopdesk/agentapi"
	"github.com/loopdesk/loopdesk/ticketcore"
)

func TestListAgents(t *testing.T) {
	h := newHarness(t, agentapi.Config{})
	rec := h.do("GET", "/api/v1/agents", vicToken, nil)
	want(t, rec, http.StatusOK, "")
	if body := rec.Body.String(); body != `{"agents":[]}`+"\n" {
		t.Fatalf("body %s", body)
	}
	h.fake.agents = []ticketcore.AgentStatus{{Name: "alice", Display: "张丽", Groups: []string{"after_sales"},
		Open: 7, Capacity: 20, Available: true, OnShift: true, Notify: map[string]string{"sms": "13800000011"}}}
	rec = h.do("GET", "/api/v1/agents", rootToken, nil)
	want(t, rec, http.StatusOK, "")
	ans := decode[struct {
		Agents []ticketcore.AgentStatus `json:"agents"`
	}](t, rec)
	if !reflect.DeepEqual(ans.Agents, h.fake.agents) {
		t.Fatalf("agents %+v", ans.Agents)
	}
	rec = h.do("GET", "/api/v1/agents", vicToken, nil)
	if strings.Contains(rec.Body.String(), "13800000011") {
		t.Errorf("a viewer sees agents' addresses: %s", rec.Body)
	}
}

func TestAvailabilityBySelfOtherAdmin(t *testing.T) {
	for _, tc := range []struct {
		who, token, name string
		status           int
	}{
		{"self", aliceToken, "alice", http.StatusNoContent},
		{"another agent", bobToken, "alice", http.StatusForbidden},
		{"admin", rootToken, "alice", http.StatusNoContent},
		{"viewer for self", vicToken, "vic", http.StatusForbidden},
	} {
		t.Run(tc.who, func(t *testing.T) {
			h := newHarness(t, agentapi.Config{})
			rec := h.do("PUT", "/api/v1/agents/"+tc.name+"/availability", tc.token, `{"available":false}`)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			calls := h.fake.callsTo("SetAvailable")
			if tc.status != http.StatusNoContent {
				want(t, rec, tc.status, "forbidden")
				if len(calls) != 0 {
					t.Fatalf("refused, yet called %v", calls)
				}
				return
			}
			if rec.Body.Len() != 0 || len(calls) != 1 || !reflect.DeepEqual(calls[0].Args, []any{tc.name, false}) {
				t.Fatalf("body %q, calls %v", rec.Body, calls)
			}
		})
	}
}

func TestAvailabilityRefusals(t *testing.T) {
	h := newHarness(t, agentapi.Config{})
	want(t, h.do("PUT", "/api/v1/agents/alice/availability", aliceToken, `{}`), http.StatusBadRequest, "invalid_request")
	want(t, h.do("PUT", "/api/v1/agents/alice/availability", aliceToken, `{"available":"no"}`), http.StatusBadRequest, "invalid_json")
	noWrites(t, h.fake)
	h.fake.errs["SetAvailable"] = ticketcore.ErrNotFound // no such agent on the desk
	want(t, h.do("PUT", "/api/v1/agents/zhao/availability", rootToken, `{"available":true}`), http.StatusNotFound, "not_found")
}

func TestAckPage(t *testing.T) {
	h := newHarness(t, agentapi.Config{})
	rec := h.do("POST", "/api/v1/pages/T-000001-1764237300000000000/ack", bobToken, nil)
	want(t, rec, http.StatusNoContent, "")
	if args := h.fake.callsTo("AckPage")[0].Args; !reflect.DeepEqual(args, []any{"T-000001-1764237300000000000", "bob"}) {
		t.Fatalf("call %v", args)
	}
	h.fake.errs["AckPage"] = ticketcore.ErrNotFound
	want(t, h.do("POST", "/api/v1/pages/nope/ack", bobToken, nil), http.StatusNotFound, "not_found")
}

// Admins map agents to their chat accounts: PUT sets, DELETE returns to
// the desk's entry; agents may not map themselves to someone else's.
func TestSetAgentAddress(t *testing.T) {
	h := newHarness(t, agentapi.Config{})
	want(t, h.do("PUT", "/api/v1/agents/alice/notify/wecom", rootToken, `{"address":"zhangli"}`), http.StatusNoContent, "")
	want(t, h.do("DELETE", "/api/v1/agents/alice/notify/wecom", rootToken, nil), http.StatusNoContent, "")
	calls := h.fake.callsTo("SetAgentAddress")
	if len(calls) != 2 || !reflect.DeepEqual(calls[0].Args, []any{"alice", "wecom", "zhangli", false}) ||
		!reflect.DeepEqual(calls[1].Args, []any{"alice", "wecom", "", true}) {
		t.Fatalf("calls %v", calls)
	}
	want(t, h.do("PUT", "/api/v1/agents/alice/notify/wecom", aliceToken, `{"address":"boss"}`), http.StatusForbidden, "forbidden")
	want(t, h.do("PUT", "/api/v1/agents/alice/notify/wecom", rootToken, `{}`), http.StatusBadRequest, "invalid_request")
	h.fake.errs["SetAgentAddress"] = ticketcore.ErrConflict
	want(t, h.do("PUT", "/api/v1/agents/alice/notify/wecom", rootToken, `{"address":"bob"}`), http.StatusConflict, "conflict")
}
