package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/loopdesk/loopdesk/auth"
)

// `loopdesk nlu eval --json` prints the one object CONTRACT.md fixes, and
// the rules extractor holds the acceptance figures on the dev set.
func TestNLUEvalJSON(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"nlu", "eval", "--extractor", "rules", "--json", "../../nlu/testdata/dev.jsonl"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var score map[string]float64
	if err := json.Unmarshal(out.Bytes(), &score); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out.String())
	}
	for _, k := range []string{"n", "intent_accuracy", "intent_macro_f1", "priority_accuracy", "field_precision", "field_recall", "field_f1"} {
		if _, ok := score[k]; !ok {
			t.Errorf("output lacks %q: %s", k, out.String())
		}
	}
	if score["n"] != 320 || score["intent_accuracy"] < 0.85 || score["field_f1"] < 0.95 {
		t.Errorf("figures: %s", out.String())
	}
}

func TestCommandLine(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"version"}, 0, "loopdesk "},
		{nil, 2, "Usage"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"nlu", "eval"}, 2, "give one labeled FILE.jsonl"},
		{[]string{"nlu", "eval", "--extractor", "llm", "x.jsonl"}, 2, "needs nlu.llm.model"},
		{[]string{"nlu", "eval", "missing.jsonl"}, 1, "missing.jsonl"},
		{[]string{"token"}, 2, "--name is required"},
		{[]string{"token", "--name", "alice", "--role", "boss"}, 2, "role"},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), c.args, &out, &errOut)
		if code != c.code || !strings.Contains(out.String()+errOut.String(), c.want) {
			t.Errorf("%v: exit %d, output %q; want exit %d and %q", c.args, code, out.String()+errOut.String(), c.code, c.want)
		}
	}
}

// `loopdesk token` prints a token and the hash the config keeps.
func TestTokenCommand(t *testing.T) {
	var out bytes.Buffer
	if code := run(context.Background(), []string{"token", "--name", "alice"}, &out, &out); code != 0 {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	fields := strings.Fields(out.String())
	var secret, hash string
	for i, f := range fields {
		if strings.HasPrefix(f, "ldk_") {
			secret = f
		}
		if f == "token_sha256:" && i+1 < len(fields) {
			hash = fields[i+1]
		}
	}
	if secret == "" || hash != auth.Hash(secret) || !strings.Contains(out.String(), "role: agent") {
		t.Errorf("token output:\n%s", out.String())
	}
}
