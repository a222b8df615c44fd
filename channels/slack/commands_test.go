package slack

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels"
)

// fakeDesk maps U_AGENT to agent li and records acts, once per key.
type fakeDesk struct {
	keys map[string]bool
	did  []string
}

func (d *fakeDesk) AgentFor(_ context.Context, notifier, address string) (string, error) {
	if notifier == NotifierName && address == "U_AGENT" || notifier == "email" && address == "li@shop.example.com" {
		return "li", nil
	}
	return "", channels.ErrNoAgent
}

func (d *fakeDesk) record(a channels.Act, what string) (channels.TicketSummary, error) {
	if d.keys == nil {
		d.keys = map[string]bool{}
	}
	if !d.keys[a.Key] {
		d.did = append(d.did, a.Agent+" "+what+" "+a.Ticket)
		d.keys[a.Key] = true
	}
	return channels.TicketSummary{ID: a.Ticket, Subject: "退款", Status: "open", Priority: "urgent"}, nil
}

func (d *fakeDesk) Ticket(_ context.Context, id string) (channels.TicketSummary, error) {
	return channels.TicketSummary{ID: id, Subject: "退款", Status: "open", Priority: "normal"}, nil
}
func (d *fakeDesk) Reply(_ context.Context, a channels.Act, text string) error {
	_, err := d.record(a, "reply:"+text)
	return err
}
func (d *fakeDesk) Note(_ context.Context, a channels.Act, text string) error {
	_, err := d.record(a, "note:"+text)
	return err
}
func (d *fakeDesk) Claim(_ context.Context, a channels.Act) (channels.TicketSummary, error) {
	return d.record(a, "claim")
}
func (d *fakeDesk) Transfer(_ context.Context, a channels.Act, g string) (channels.TicketSummary, error) {
	return d.record(a, "transfer:"+g)
}
func (d *fakeDesk) SetPriority(_ context.Context, a channels.Act, p string) (channels.TicketSummary, error) {
	return d.record(a, "priority:"+p)
}
func (d *fakeDesk) Solve(_ context.Context, a channels.Act) (channels.TicketSummary, error) {
	return d.record(a, "solve")
}
func (d *fakeDesk) Queue(context.Context, string) ([]channels.TicketSummary, error) {
	return []channels.TicketSummary{{ID: "T-000001", Priority: "urgent", Subject: "退款"}}, nil
}

func command(user, text, trigger string) string {
	return url.Values{"command": {"/ticket"}, "user_id": {user}, "text": {text}, "trigger_id": {trigger},
		"channel_id": {"C1"}, "team_id": {"T1"}, "response_url": {"https://hooks.slack.com/commands/x"}}.Encode()
}

// /ticket acts as the agent the Slack user maps to, once per request even
// when Slack sends it again, and answers the agent only.
func TestTicketCommand(t *testing.T) {
	now := time.Unix(1764151200, 0)
	ch, _, _ := newTestChannel(t, func() time.Time { return now })
	desk := &fakeDesk{}
	ch.deps.Desk = desk
	steps := []struct{ text, trigger, answer string }{
		{"claim T-000001", "tr1", "Claimed T-000001"},
		{"claim T-000001", "tr1", "Claimed T-000001"}, // Slack's retry of the same request
		{"priority #1 urgent", "tr2", "Priority set: T-000001"},
		{"note T-1 客户很急", "tr3", "Noted on T-000001"},
		{"reply T-000001 已为您加急处理", "tr4", "Replied on T-000001"},
		{"solve T-000001", "tr5", "Solved T-000001"},
		{"mine", "tr6", "Your tickets (1):"},
		{"claim", "tr7", "Name the ticket"},
		{"", "tr8", "`/ticket show"},
	}
	for _, s := range steps {
		w := serveEvent(ch, signedAt("/hooks/slack/commands", command("U_AGENT", s.text, s.trigger), now))
		var ans struct {
			Type string `json:"response_type"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &ans); err != nil || ans.Type != "ephemeral" || !strings.HasPrefix(ans.Text, s.answer) {
			t.Errorf("/ticket %s: %d %s, want %q", s.text, w.Code, w.Body, s.answer)
		}
	}
	want := []string{"li claim T-000001", "li priority:urgent T-000001", "li note:客户很急 T-000001",
		"li reply:已为您加急处理 T-000001", "li solve T-000001"}
	if !slices.Equal(desk.did, want) {
		t.Errorf("acts %q, want %q", desk.did, want)
	}
	w := serveEvent(ch, signedAt("/hooks/slack/commands", command("U_STRANGER", "claim T-000001", "tr9"), now))
	if !strings.Contains(w.Body.String(), "not a loopdesk agent") {
		t.Errorf("an unmapped user: %s", w.Body)
	}
	forged := signedAt("/hooks/slack/commands", command("U_AGENT", "solve T-000002", "tr10"), now.Add(-time.Hour))
	if w := serveEvent(ch, forged); w.Code != 401 || len(desk.did) != len(want) {
		t.Errorf("a stale command: %d, acts %v", w.Code, desk.did)
	}
}

// A Slack user the desk does not list by id is the agent with their
// profile's email; users.info is asked once a day.
func TestAgentByEmail(t *testing.T) {
	now := time.Unix(1764151200, 0)
	ch, _, api := newTestChannel(t, func() time.Time { return now })
	ch.deps.Desk = &fakeDesk{}
	for range 2 {
		if agent, err := ch.agentFor(t.Context(), "U_BY_EMAIL"); agent != "li" || err != nil {
			t.Fatalf("agentFor by email: %q, %v", agent, err)
		}
	}
	if _, err := ch.agentFor(t.Context(), "U_NOBODY"); err == nil {
		t.Error("a user with no agent mapped to one")
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	if api.userInfos != 2 { // U_BY_EMAIL once (then cached), U_NOBODY once
		t.Errorf("%d users.info calls, want 2", api.userInfos)
	}
}
