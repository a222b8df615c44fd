package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/nlu"
	"github.com/loopdesk/loopdesk/nlu/llm/llmtest"
)

const devSet = "../../nlu/testdata/dev.jsonl"

// `loopdesk nlu eval --extractor cascade` with nlu.llm.* from the config
// file scores the cascade against an OpenAI-compatible server and reports
// the breakdowns and what the LLM cost per message.
func TestNLUEvalCascadeReport(t *testing.T) {
	srv := devGoldServer(t)
	cfgPath := writeConfig(t, `
nlu:
  extractor: cascade
  llm:
    base_url: `+srv.BaseURL()+`
    api_key: sk-test
    model: test-model
    mode: tools
    breaker:
      failures: 3
  cascade:
    required: {refund: [order_id]}
`)
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"nlu", "eval", "--config", cfgPath, devSet}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	report := out.String()
	for _, want := range []string{"cascade on", "intent accuracy", "precision", "confusion: rows",
		"1 refund", "order_id", "LLM: asked for", "tokens per message"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	if srv.Calls() == 0 || 2*srv.Calls() >= 320 {
		t.Errorf("%d calls for 320 messages", srv.Calls())
	}
	t.Log(report)

	// --json stays the contract's object; llm (always) is chosen by flag.
	out.Reset()
	args := []string{"nlu", "eval", "--config", cfgPath, "--extractor", "llm", "--json", devSet}
	if code := run(context.Background(), args, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var score map[string]float64
	if err := json.Unmarshal(out.Bytes(), &score); err != nil || len(score) != 7 || score["intent_accuracy"] != 1 {
		t.Errorf("--json: %s (%v)", out.String(), err)
	}
}

// The nlu settings come from the file and the environment; typos in them
// are errors like anywhere else in the config.
func TestNLUSettings(t *testing.T) {
	path := writeConfig(t, "nlu:\n  rules_dir: \"\"\n  llm:\n    model: file-model\n    breaker: {failures: 2, cooldown: 1m}\n")
	cfg, err := loadConfig(path, []string{"LOOPDESK_NLU_LLM_BASE_URL=http://localhost:11434/v1",
		"LOOPDESK_NLU_EXTRACTOR=cascade", "LOOPDESK_NLU_LLM_REDACT=false", "LOOPDESK_NLU_CASCADE_MIN_CONFIDENCE=0.5",
		`LOOPDESK_NLU_CASCADE_REQUIRED={"refund": ["order_id"]}`})
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.NLU
	if s.Extractor != "cascade" || s.LLM.Model != "file-model" || s.LLM.BaseURL != "http://localhost:11434/v1" ||
		s.LLM.Redact || s.LLM.Breaker.Failures != 2 || s.LLM.Breaker.Cooldown != time.Minute ||
		s.Cascade.MinConfidence != 0.5 || len(s.Cascade.Required["refund"]) != 1 {
		t.Errorf("nlu %+v", s)
	}
	if cfg, _ := loadConfig("", nil); !cfg.NLU.LLM.Redact || cfg.NLU.Extractor != "rules" {
		t.Errorf("defaults %+v: redaction must be on", cfg.NLU)
	}
	bad := writeConfig(t, "nlu:\n  llm:\n    modle: x\n")
	if _, err := loadConfig(bad, nil); err == nil || !strings.Contains(err.Error(), "modle") {
		t.Errorf("typo accepted: %v", err)
	}
	if _, err := loadConfig("", []string{"LOOPDESK_NLU_EXTRACTOR=cascade"}); err == nil || !strings.Contains(err.Error(), "nlu.llm.model") {
		t.Errorf("cascade without a model: %v", err)
	}
	slow := []string{"LOOPDESK_NLU_EXTRACTOR=cascade", "LOOPDESK_NLU_LLM_MODEL=m", "LOOPDESK_NLU_LLM_BASE_URL=http://localhost:11434/v1",
		"LOOPDESK_NLU_TIMEOUT=5s"} // the LLM's own timeout is its default, 8s: past the extraction's
	if _, err := loadConfig("", slow); err == nil || !strings.Contains(err.Error(), "8s") {
		t.Errorf("an extraction timeout shorter than the LLM's default: %v", err)
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"nlu", "eval", "--extractor", "regex", devSet}, &out, &errOut)
	if code != 2 || !strings.Contains(errOut.String(), "none of rules, llm, cascade") {
		t.Errorf("unknown extractor: exit %d, %s", code, errOut.String())
	}
}

func writeConfig(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "loopdesk.yaml")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// devGoldServer answers every request with the gold label of the dev
// message it carries, as a tool call.
func devGoldServer(t *testing.T) *llmtest.Server {
	examples, err := nlu.ReadExamplesFile(devSet)
	if err != nil {
		t.Fatal(err)
	}
	gold := llmtest.Gold(examples)
	return llmtest.NewServer(t, func(r llmtest.Request) llmtest.Reply {
		a, ok := gold(r)
		if !ok {
			t.Errorf("request %d carries no dev message", r.N)
			return llmtest.Reply{Status: 500}
		}
		return llmtest.Reply{ToolArguments: a}
	})
}
