package main

import (
	"bytes"
	"context"
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
