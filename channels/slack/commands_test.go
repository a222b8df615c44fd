package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels"
)

// fakeDesk maps U_AGENT to agent li (and U_WANG to wang) and records
// acts, once per key, and who they were via.
type fakeDesk struct {
	keys map[string]bool
	did  []string
	via  []string
}

func (d *fakeDesk) AgentFor(_ context.Context, notifier, address string) (string, error) {
	if notifier == NotifierName && address == "U_AGENT" || notifier == "email" && address == "li@shop.example.com" {
		return "li", nil
	}
	if notifier == NotifierName && address == "U_WANG" {
		return "wang", nil
	}
	return "", channels.ErrNoAgent
}

func (d *fakeDesk) record(a channels.Act, what string) (channels.TicketSummary, error) {
	if d.keys == nil {
		d.keys = map[string]bool{}
	}
	if !d.keys[a.Key] {
		d.did = append(d.did, a.Agent+" "+what+" "+a.Ticket)
		d.via = append(d.via, a.Via)
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
func (d *fakeDesk) Assign(_ context.Context, a channels.Act, agent string) (channels.TicketSummary, error) {
	return d.record(a, "assign:"+agent)
}
func (d *fakeDesk) SetStatus(_ context.Context, a channels.Act, status string) (channels.TicketSummary, error) {
	return d.record(a, "status:"+status)
}
func (d *fakeDesk) Merge(_ context.Context, a channels.Act, into string) (channels.TicketSummary, error) {
	t, err := d.record(a, "merge:"+into)
	t.ID = into
	return t, err
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
// when Slack sends it again, and answers the agent only. Without a ticket
// id it acts on the ticket the agent last named.
func TestTicketCommand(t *testing.T) {
	now := time.Unix(1764151200, 0)
	ch, _, _ := newTestChannel(t, func() time.Time { return now })
	desk := &fakeDesk{}
	ch.deps.Desk = desk
	steps := []struct{ text, trigger, answer string }{
		{"claim", "tr0", "Name the ticket"}, // nothing named yet
		{"claim T-000001", "tr1", "Claimed T-000001"},
		{"claim T-000001", "tr1", "Claimed T-000001"}, // Slack's retry of the same request
		{"priority urgent", "tr2", "Priority set: T-000001"},
		{"note T-1 客户很急", "tr3", "Noted on T-000001"},
		{"assign <@U_WANG|wang>", "tr4", "Assigned T-000001"},
		{"assign @王芳", "tr5", "Assigned T-000001"},
		{"assign <@U_STRANGER|x>", "tr6", "Not done: <@U_STRANGER|x> is not a loopdesk agent"},
		{"status pending", "tr7", "Status set: T-000001"},
		{"reply T-000001 已为您加急处理", "tr8", "Replied on T-000001"},
		{"merge into T-000002", "tr9", "Merged into T-000002"},
		{"T-000003", "tr10", " T-000003 — 退款"}, // shows it, and makes it the current one
		{"solve", "tr11", "Solved T-000003"},
		{"merge T-000004 T-000005", "tr12", "Merged into T-000005"},
		{"reply 2 parcels are on the way", "tr12b", "Replied on T-000005"}, // bare digits are text, not a ticket
		{"merge 3", "tr12c", "Not done: name the ticket to merge into"},
		{"mine", "tr13", "Your tickets (1):"},
		{"", "tr14", "`/ticket T-000123` (show)"},
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
		"li assign:wang T-000001", "li assign:王芳 T-000001", "li status:pending T-000001",
		"li reply:已为您加急处理 T-000001", "li merge:T-000002 T-000001", "li solve T-000003", "li merge:T-000005 T-000004",
		"li reply:2 parcels are on the way T-000005"}
	if !slices.Equal(desk.did, want) {
		t.Errorf("acts %q, want %q", desk.did, want)
	}
	for _, via := range desk.via {
		if via != "slack:U_AGENT" {
			t.Errorf("an act via %q, want slack:U_AGENT", via)
		}
	}
	w := serveEvent(ch, signedAt("/hooks/slack/commands", command("U_STRANGER", "claim T-000001", "tr15"), now))
	if !strings.Contains(w.Body.String(), "not a loopdesk agent") {
		t.Errorf("an unmapped user: %s", w.Body)
	}
	forged := signedAt("/hooks/slack/commands", command("U_AGENT", "solve T-000002", "tr16"), now.Add(-time.Hour))
	if w := serveEvent(ch, forged); w.Code != 401 || len(desk.did) != len(want) {
		t.Errorf("a stale command: %d, acts %v", w.Code, desk.did)
	}
}

// slowDesk claims only once released.
type slowDesk struct {
	fakeDesk
	release chan struct{}
}

func (d *slowDesk) Claim(ctx context.Context, a channels.Act) (channels.TicketSummary, error) {
	<-d.release
	return d.fakeDesk.Claim(ctx, a)
}

// A command that takes longer than Slack's 3 seconds is answered "working
// on it" at once, and its result goes to the command's response_url.
func TestSlowCommandAnswersThroughResponseURL(t *testing.T) {
	now := time.Unix(1764151200, 0)
	ch, _, _ := newTestChannel(t, func() time.Time { return now })
	desk := &slowDesk{release: make(chan struct{})}
	ch.deps.Desk = desk
	ch.answerWithin = time.Millisecond // the desk is held until after the answer: the wait always ends first
	later := make(chan map[string]any, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg map[string]any
		json.NewDecoder(r.Body).Decode(&msg)
		later <- msg
	}))
	defer hook.Close()
	body := url.Values{"command": {"/ticket"}, "user_id": {"U_AGENT"}, "text": {"claim T-000001"}, "trigger_id": {"tr1"},
		"response_url": {hook.URL + "/commands/T1/1/x"}}.Encode()
	w := serveEvent(ch, signedAt("/hooks/slack/commands", body, now))
	if !strings.Contains(w.Body.String(), "Working on it") {
		t.Fatalf("the first answer: %d %s", w.Code, w.Body)
	}
	close(desk.release)
	select {
	case msg := <-later:
		if msg["response_type"] != "ephemeral" || !strings.HasPrefix(fmt.Sprint(msg["text"]), "Claimed T-000001") {
			t.Errorf("the answer through the response_url: %v", msg)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no answer came through the response_url")
	}
	if !slices.Equal(desk.did, []string{"li claim T-000001"}) {
		t.Errorf("acts %v", desk.did)
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
