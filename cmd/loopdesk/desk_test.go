package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A broken expression stops start-up and the error names the rule.
func TestBrokenRuleStopsStart(t *testing.T) {
	cfg := defaultConfig()
	cfg.Data.Dir = t.TempDir()
	cfg.Tickets.Desk = "testdata/bad-rule.yaml"
	_, err := build(cfg, discardLog())
	if err == nil || !strings.Contains(err.Error(), `rule "vip-refund"`) || !strings.Contains(err.Error(), "teir") {
		t.Fatalf("err = %v", err)
	}
	var out, errOut bytes.Buffer
	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, []byte("tickets:\n  desk: testdata/bad-rule.yaml\n"), 0o600)
	if code := run(context.Background(), []string{"rules", "test", "--config", path, "testdata/vip-refund.json"}, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "vip-refund") {
		t.Errorf("rules test with a broken rule: exit %d, %s", code, errOut.String())
	}
}

// `loopdesk rules test` explains which rules a ticket matches, what they
// set, and the SLA policy and type it gets, on the embedded desk.
func TestRulesTestExplains(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"rules", "test", "testdata/vip-refund.json"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	text := out.String()
	for _, want := range []string{"vip-refund", "after_sales", "high", "SLA policy: vip", "ticket type: refund"} {
		if !strings.Contains(text, want) {
			t.Errorf("explanation lacks %q:\n%s", want, text)
		}
	}
}

// SLA warnings and breaches are durable timers: killed with -9 again and
// again while the clock runs out, loopdesk announces each exactly once.
func TestSLAAnnouncedOnceAcrossKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills real loopdesk processes")
	}
	dataDir := t.TempDir()
	env := []string{"LOOPDESK_TICKETS_DESK=" + mustAbs(t, "testdata/short-sla.yaml")}
	p := startLoopdeskEnv(t, dataDir, "", env)
	a := call(t, "POST", p.url+"/api/v1/channels/api/messages", testAPIToken, map[string]any{
		"external_id": "sla-1", "from": map[string]any{"id": "u1"}, "text": "我的快递三天没动了"})
	if a.status != 202 {
		t.Fatalf("send: %d %s", a.status, a.raw)
	}
	// Kill at staggered moments around the warning (1.5 s) and the breach (3 s).
	for _, wait := range []time.Duration{1200, 400, 700, 600, 500} {
		time.Sleep(wait * time.Millisecond)
		p.cmd.Process.Signal(syscall.SIGKILL)
		p.cmd.Wait()
		p = startLoopdeskEnv(t, dataDir, "", env)
	}
	defer func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		p.cmd.Wait()
	}()
	var tk answer
	waitFor(t, "the breach and no timer left", func() bool {
		tk = call(t, "GET", p.url+"/api/v1/tickets/T-000001", testAdminToken, nil)
		m := call(t, "GET", p.url+"/metrics", "", nil).raw
		return strings.Contains(tk.raw, `"sla_breach"`) && strings.Contains(m, "\nloopdesk_timers_pending 0\n")
	})
	counts := map[string]int{}
	for _, e := range tk.body["timeline"].([]any) {
		ev, _ := e.(map[string]any)["event"].(string)
		counts[ev]++
	}
	if counts["sla_warning"] != 1 || counts["sla_breach"] != 1 {
		t.Errorf("%d warnings and %d breaches, want one each: %s", counts["sla_warning"], counts["sla_breach"], tk.raw)
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// Over HTTP on the embedded desk: a refund moves through its three stages
// with the API channel customer told at each hand-off, and merged tickets'
// customers each get the parent's reply.
func TestDeskOverHTTP(t *testing.T) {
	srv, _ := newTestGateway(t, nil)
	send := func(ext, thread, text string) {
		a := call(t, "POST", srv.URL+"/api/v1/channels/api/messages", testAPIToken, map[string]any{
			"external_id": ext, "from": map[string]any{"id": thread}, "text": text})
		if a.status != 202 {
			t.Fatalf("send: %d %s", a.status, a.raw)
		}
	}
	send("r1", "buyer", "订单 2026112500012345 的衬衫不想要了，还没发货，请帮我退款")
	waitFor(t, "the refund ticket", func() bool {
		return call(t, "GET", srv.URL+"/api/v1/tickets/T-000001", testAdminToken, nil).body["stage"] == "after_sales_review"
	})
	stage := srv.URL + "/api/v1/tickets/T-000001/stage/complete"
	if a := call(t, "POST", stage, testAgentToken, map[string]any{}); a.status != 200 || a.body["stage"] != "finance_refund" || a.body["group"] != "finance" {
		t.Fatalf("after-sales review: %d %s", a.status, a.raw)
	}
	if a := call(t, "POST", stage, testAgentToken, map[string]any{}); a.status != 422 || a.errorCode() != "incomplete" {
		t.Fatalf("finance without refund_amount: %d %s", a.status, a.raw)
	}
	if a := call(t, "POST", stage, testAgentToken, map[string]any{"fields": map[string]string{"refund_amount": "129.00"}}); a.status != 200 {
		t.Fatalf("finance: %d %s", a.status, a.raw)
	}
	if a := call(t, "POST", stage, testAgentToken, map[string]any{}); a.status != 200 || a.body["status"] != "solved" {
		t.Fatalf("confirmation: %d %s", a.status, a.raw)
	}
	waitFor(t, "the customer is told twice", func() bool {
		conv := call(t, "GET", srv.URL+"/api/v1/conversations/buyer/messages", testAPIToken, nil)
		texts := ""
		for _, m := range conv.body["messages"].([]any) {
			texts += m.(map[string]any)["text"].(string) + "\n"
		}
		return strings.Contains(texts, "已转财务处理") && strings.Contains(texts, "已为您办理退款")
	})

	for i := range 3 {
		send(fmt.Sprint("m", i), fmt.Sprint("shop-", i), "全部门店收银机都打不开了")
	}
	waitFor(t, "three more tickets", func() bool {
		return call(t, "GET", srv.URL+"/api/v1/tickets/T-000004", testAdminToken, nil).status == 200
	})
	for _, id := range []string{"T-000003", "T-000004"} {
		if a := call(t, "POST", srv.URL+"/api/v1/tickets/"+id+"/merge", testAgentToken, map[string]string{"into": "T-000002"}); a.status != 200 {
			t.Fatalf("merge %s: %d %s", id, a.status, a.raw)
		}
	}
	call(t, "POST", srv.URL+"/api/v1/tickets/T-000002/replies", testAgentToken, map[string]string{"text": "收银系统已恢复"})
	for i := range 3 {
		waitFor(t, "the reply in every merged customer's conversation", func() bool {
			conv := call(t, "GET", srv.URL+fmt.Sprintf("/api/v1/conversations/shop-%d/messages", i), testAPIToken, nil)
			return strings.Contains(conv.raw, "收银系统已恢复")
		})
	}
}
