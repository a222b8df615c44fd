package ticketcore_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/ticketcore"
)

// An address set through the API takes the place of the desk's: chat
// users map to the agent by it, and the agents list shows it; "" takes the
// agent off a notifier, reset returns to the desk's entry, and no two
// agents share an address.
func TestSetAgentAddress(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), nil)
	ctx := context.Background()
	desk := d.svc.ChatDesk()
	if err := d.svc.SetAgentAddress(ctx, "li", "wecom", "LiMin", false); err != nil {
		t.Fatal(err)
	}
	if got, err := desk.AgentFor(ctx, "wecom", "LiMin"); got != "li" || err != nil {
		t.Errorf("AgentFor(LiMin) = %q, %v", got, err)
	}
	if _, err := desk.AgentFor(ctx, "wecom", "li"); !errors.Is(err, channels.ErrNoAgent) {
		t.Errorf("the desk's old address still maps: %v", err)
	}
	if err := d.svc.SetAgentAddress(ctx, "wang", "wecom", "LiMin", false); !errors.Is(err, ticketcore.ErrConflict) {
		t.Errorf("a second agent with LiMin: %v", err)
	}
	agents, _ := d.svc.Agents(ctx)
	for _, a := range agents {
		if a.Name == "li" && (a.Notify["wecom"] != "LiMin" || a.Notify["sms"] != "13800000011") {
			t.Errorf("li's addresses: %v", a.Notify)
		}
	}
	if err := d.svc.SetAgentAddress(ctx, "li", "wecom", "", false); err != nil {
		t.Fatal(err)
	}
	if _, err := desk.AgentFor(ctx, "wecom", "LiMin"); !errors.Is(err, channels.ErrNoAgent) {
		t.Errorf("li taken off wecom still maps: %v", err)
	}
	if err := d.svc.SetAgentAddress(ctx, "li", "wecom", "", true); err != nil {
		t.Fatal(err)
	}
	if got, _ := desk.AgentFor(ctx, "wecom", "li"); got != "li" {
		t.Errorf("after reset AgentFor(li) = %q, want the desk's li", got)
	}
	if err := d.svc.SetAgentAddress(ctx, "ghost", "wecom", "x", false); !errors.Is(err, ticketcore.ErrNotFound) {
		t.Errorf("unknown agent: %v", err)
	}
}

// An address the desk's file gives two agents maps to neither, and the API
// will not make a second owner, not even by returning to the desk's entry.
func TestSharedAddressMapsToNobody(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), func(c *ticketcore.DeskConfig) {
		for i := range c.Agents {
			if c.Agents[i].Name == "wang" {
				c.Agents[i].Notify["wecom"] = "li"
			}
		}
	})
	ctx := context.Background()
	_, err := d.svc.ChatDesk().AgentFor(ctx, "wecom", "li")
	if !errors.Is(err, channels.ErrNoAgent) || !strings.Contains(err.Error(), "li and wang") {
		t.Fatalf("AgentFor of a shared address: %v", err)
	}
	if err := d.svc.SetAgentAddress(ctx, "wang", "wecom", "WangQiang", false); err != nil {
		t.Fatal(err)
	}
	if got, err := d.svc.ChatDesk().AgentFor(ctx, "wecom", "li"); got != "li" || err != nil {
		t.Fatalf("after wang moved: %q, %v", got, err)
	}
	if err := d.svc.SetAgentAddress(ctx, "wang", "wecom", "", true); !errors.Is(err, ticketcore.ErrConflict) {
		t.Errorf("returning wang to the desk's shared address: %v, want a conflict", err)
	}
}
