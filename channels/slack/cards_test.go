package slack

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/notify"
)

// A new ticket's notice posts its card into the group's channel, once
// however many agents the notice went to; the next notice is a line in
// its thread. Claim on the card claims it as the clicking agent and the
// card shows who took it once the core says the ticket changed; an agent's thread reply goes to the customer,
// "//" keeps it internal.
func TestTicketThread(t *testing.T) {
	now := time.Unix(1764151200, 0)
	ch, _, api := newTestChannel(t, func() time.Time { return now })
	ch.cfg.Groups = map[string]string{"after_sales": "C_AFTER"}
	ch.staff["C_AFTER"] = true
	desk := &fakeDesk{}
	ch.deps.Desk = desk
	ctx := context.Background()
	n := notify.Notice{ID: "msg-n1", Kind: notify.KindAssigned, TicketID: "T-000001", Subject: "退款", Text: "分配给你的工单",
		Priority: "high", Group: "after_sales", To: notify.Recipient{Agent: "li"}, Attempt: 1}
	ch.pace.interval = time.Millisecond            // the test's own pace
	for _, agent := range []string{"li", "wang"} { // one notice per agent, each its own outbox id
		n.ID, n.To.Agent = "msg-n1-"+agent, agent
		if err := ch.Notifier().Notify(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	n.ID, n.Text = "msg-n2", "SLA 即将超时"
	if err := ch.Notifier().Notify(ctx, n); err != nil {
		t.Fatal(err)
	}
	posts := api.posts()
	if len(posts) != 3 || posts[0]["channel"] != "C_AFTER" || posts[0]["thread_ts"] != "" ||
		posts[1]["thread_ts"] != posts[0]["ts"] || posts[2]["text"] != "SLA 即将超时" {
		t.Fatalf("posts %v", posts)
	}
	card := posts[0]["ts"]
	if !api.updated(card) {
		t.Error("the card was not brought up to date after a notice")
	}
	api.mu.Lock()
	api.updates = nil // what follows counts the click's own update
	api.mu.Unlock()

	payload := fmt.Sprintf(`{"type":"block_actions","trigger_id":"tg1","user":{"id":"U_AGENT"},"container":{"channel_id":"C_AFTER","message_ts":%q},`+
		`"actions":[{"type":"button","action_id":"claim","block_id":"ticket","value":"T-000001"}]}`, card)
	w := serveEvent(ch, signedAt("/hooks/slack/interactions", url.Values{"payload": {payload}}.Encode(), now, "Content-Type", "application/x-www-form-urlencoded"))
	if w.Code != 200 {
		t.Fatalf("click: %d %s", w.Code, w.Body)
	}
	if !slices.Contains(desk.did, "li claim T-000001") || api.updated(card) {
		t.Errorf("claim: acts %v, card updated %v before the core said the ticket changed", desk.did, api.updated(card))
	}
	ch.TicketChanged(ctx, "T-000001") // what the core does after the claim
	if !api.updated(card) {
		t.Error("the card was not brought up to date after the change")
	}
	ch.TicketChanged(ctx, "T-000404") // no card: nothing to do
	choose := fmt.Sprintf(`{"type":"block_actions","trigger_id":"tg2","user":{"id":"U_AGENT"},"container":{"channel_id":"C_AFTER","message_ts":%q},`+
		`"actions":[{"type":"static_select","action_id":"priority","block_id":"ticket","selected_option":{"value":"T-000001 urgent"}}]}`, card)
	serveEvent(ch, signedAt("/hooks/slack/interactions", url.Values{"payload": {choose}}.Encode(), now, "Content-Type", "application/x-www-form-urlencoded"))
	if !slices.Contains(desk.did, "li priority:urgent T-000001") {
		t.Errorf("the priority menu: acts %v", desk.did)
	}
	desk.did = slices.DeleteFunc(desk.did, func(s string) bool { return strings.Contains(s, "priority") })

	reply := func(id, ts, text string) string {
		return fmt.Sprintf(`{"type":"event_callback","event_id":%q,"event":{"type":"message","channel":"C_AFTER","channel_type":"channel",`+
			`"user":"U_AGENT","text":%q,"ts":%q,"thread_ts":%q}}`, id, text, ts, card)
	}
	serveEvent(ch, signed(reply("Ev20", "1764151300.000100", "已为您办理退款"), now))
	serveEvent(ch, signed(reply("Ev21", "1764151301.000100", "// 客户是老用户"), now))
	serveEvent(ch, signed(reply("Ev21", "1764151301.000100", "// 客户是老用户"), now, "X-Slack-Retry-Num", "1"))
	want := []string{"li claim T-000001", "li reply:已为您办理退款 T-000001", "li note:客户是老用户 T-000001"}
	if !slices.Equal(desk.did, want) {
		t.Errorf("acts %q, want %q", desk.did, want)
	}
	if n := len(api.posts()); n != 3 || strings.Contains(fmt.Sprint(api.posts()), "已为您办理退款") {
		t.Errorf("the thread reply was echoed into Slack by the channel itself: %v", api.posts())
	}
}

// The copies of one notice (one per agent) are said once in the thread;
// the same words in a later notice (a second SLA warning) are said again.
func TestRepeatedNoticeSaidAgain(t *testing.T) {
	now := time.Unix(1764151200, 0)
	ch, _, api := newTestChannel(t, func() time.Time { return now })
	ch.cfg.Groups = map[string]string{"after_sales": "C_AFTER"}
	ch.pace.interval = time.Millisecond
	ctx := context.Background()
	n := notify.Notice{Kind: notify.KindSLAWarning, TicketID: "T-000001", Subject: "退款", Text: "SLA 即将超时",
		Priority: "high", Group: "after_sales", Attempt: 1, CreatedAt: now}
	for i, at := range []time.Time{now, now, now.Add(time.Hour)} {
		n.ID, n.To.Agent, n.CreatedAt = fmt.Sprintf("msg-%d", i), fmt.Sprintf("agent-%d", i), at
		if err := ch.Notifier().Notify(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	var lines int
	for _, p := range api.posts() {
		if p["text"] == "SLA 即将超时" {
			lines++
		}
	}
	if lines != 2 {
		t.Errorf("the warning said %d times in the thread, want 2 (once per notice): %v", lines, api.posts())
	}
}

// The notices of one change go out at once (a new ticket to the group, its
// assignment to the agent, an urgent page): the ticket gets one card, and
// each notice is a line in its thread.
func TestConcurrentNoticesOneCard(t *testing.T) {
	now := time.Unix(1764151200, 0)
	ch, _, api := newTestChannel(t, func() time.Time { return now })
	ch.cfg.Groups = map[string]string{"after_sales": "C_AFTER"}
	ch.pace.interval = time.Millisecond
	kinds := []string{notify.KindNewTicket, notify.KindAssigned, notify.KindUrgent, notify.KindPage}
	var wg sync.WaitGroup
	for i, kind := range kinds {
		wg.Go(func() {
			n := notify.Notice{ID: fmt.Sprintf("msg-%d", i), Kind: kind, TicketID: "T-000001", Subject: "退款",
				Text: kind, Priority: "urgent", Group: "after_sales", To: notify.Recipient{Agent: "li"}, Attempt: 1, CreatedAt: now}
			if err := ch.Notifier().Notify(context.Background(), n); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	var cards, lines int
	for _, p := range api.posts() {
		if p["thread_ts"] == "" {
			cards++
		} else {
			lines++
		}
	}
	if cards != 1 || lines != len(kinds) {
		t.Errorf("%d cards and %d thread lines, want 1 and %d: %v", cards, lines, len(kinds), api.posts())
	}
}

// What customers write shows as written: "<!channel>" in a subject or a
// message pings nobody.
func TestCustomerTextEscaped(t *testing.T) {
	now := time.Unix(1764151200, 0)
	ch, _, api := newTestChannel(t, func() time.Time { return now })
	ch.cfg.Groups = map[string]string{"after_sales": "C_AFTER"}
	ch.pace.interval = time.Millisecond
	n := notify.Notice{ID: "msg-1", Kind: notify.KindCustomerMessage, TicketID: "T-000001", Subject: "<!here> 退款",
		Text: "客户写道：<!channel> 快来 & 看", Priority: "high", Group: "after_sales", Attempt: 1, CreatedAt: now}
	if err := ch.Notifier().Notify(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	posts := api.posts()
	if len(posts) != 2 || posts[0]["text"] != "T-000001 &lt;!here&gt; 退款" || posts[1]["text"] != "客户写道：&lt;!channel&gt; 快来 &amp; 看" {
		t.Errorf("posts %v", posts)
	}
}
