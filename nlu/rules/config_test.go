package rules_test

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/loopdesk/loopdesk/configs"
	"github.com/loopdesk/loopdesk/nlu"
	"github.com/loopdesk/loopdesk/nlu/rules"
)

// companyFS copies the embedded configuration into a MapFS at "nlu", the
// way a company copies configs/nlu, and applies edits (path → content; an
// empty content deletes the file).
func companyFS(t *testing.T, edits map[string]string) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(configs.FS, "nlu", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(configs.FS, p)
		m[p] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for p, content := range edits {
		if content == "" {
			delete(m, p)
			continue
		}
		m[p] = &fstest.MapFile{Data: []byte(content)}
	}
	return m
}

func extractIntent(t *testing.T, ext *rules.Extractor, text string) string {
	t.Helper()
	got, err := ext.Extract(context.Background(), nlu.Request{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	return got.Intent
}

// TestNewIntentFromConfig: a company adds an intent in YAML and it is
// recognised with no code change, while the built-in intents keep working.
func TestNewIntentFromConfig(t *testing.T) {
	fsys := companyFS(t, map[string]string{"nlu/intents/installation.yaml": `
name: installation
description: The customer wants a product installed or an installation appointment.
keywords:
  安装: 3
  预约安装: 4
  "install*": 3
examples:
  - 新买的空调什么时候能来安装？
  - Can you send someone to install the dishwasher on Saturday?
`})
	ext := extractorFrom(t, fsys)
	for text, want := range map[string]string{
		"油烟机到了，想预约明天上午上门安装":                                         "installation",
		"Could a technician install my new water heater next week?": "installation",
		"订单还没发货，我不想要了，帮我取消退款。":                                      nlu.IntentRefund,
		"验证码一直收不到，登录不了。":                                            nlu.IntentAccount,
	} {
		if got := extractIntent(t, ext, text); got != want {
			t.Errorf("%q: intent %s, want %s", text, got, want)
		}
	}
}

// TestExamplesOnlyIntent: an intent may be defined by example sentences alone.
func TestExamplesOnlyIntent(t *testing.T) {
	cfg := rules.Config{Intents: []rules.Intent{
		{Name: "other", Keywords: map[string]float64{"hello": 1}},
		{Name: "warranty_registration", Examples: []string{
			"我想登记一下延保", "怎么给新买的洗衣机登记延保服务", "Register my product for the extended warranty",
		}},
	}}
	ext, err := rules.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := extractIntent(t, ext, "冰箱的延保要怎么登记？"); got != "warranty_registration" {
		t.Errorf("intent %s, want warranty_registration", got)
	}
	if got := extractIntent(t, ext, "?"); got != "other" {
		t.Errorf("intent %s, want the fallback other", got)
	}
}

// TestConfigErrors: malformed configurations fail with an error naming the
// file, intent or phrase at fault.
func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name  string
		edits map[string]string
		want  []string // substrings of the error
	}{
		{"unknown key", map[string]string{"nlu/settings.yaml": "fallback: other\nexample_wieght: 2\n"},
			[]string{"settings.yaml", "example_wieght"}},
		{"bad yaml", map[string]string{"nlu/intents/refund.yaml": "name: refund\nkeywords: [退款: 2\n"},
			[]string{"intents/refund.yaml"}},
		{"empty keyword", map[string]string{"nlu/intents/x.yaml": "name: x\nkeywords:\n  \"  \": 2\n"},
			[]string{"intents/x.yaml", `intent "x"`, "empty phrase"}},
		{"lone star keyword", map[string]string{"nlu/intents/x.yaml": "name: x\nkeywords:\n  \"*\": 2\n"},
			[]string{"intents/x.yaml", "empty phrase"}},
		{"duplicate intent", map[string]string{"nlu/intents/zz.yaml": "name: refund\nkeywords: {退: 1}\n"},
			[]string{"intents/zz.yaml", `"refund"`, "defined twice"}},
		{"bad intent name", map[string]string{"nlu/intents/x.yaml": "name: Big Intent\nkeywords: {x: 1}\n"},
			[]string{"intents/x.yaml", "name must be"}},
		{"intent without vocabulary", map[string]string{"nlu/intents/x.yaml": "name: x\ndescription: nothing\n"},
			[]string{"intents/x.yaml", "needs keywords"}},
		{"combo without weight", map[string]string{"nlu/intents/x.yaml": "name: x\ncombos:\n  - all: [a, b]\n"},
			[]string{"intents/x.yaml", "combo 1", "weight"}},
		{"combo empty alternative", map[string]string{"nlu/intents/x.yaml": "name: x\ncombos:\n  - {all: [\"a||b\"], weight: 1}\n"},
			[]string{"intents/x.yaml", "combo 1", "empty phrase"}},
		{"unknown fallback", map[string]string{"nlu/settings.yaml": "fallback: chit_chat\n"},
			[]string{"settings.yaml", `"chit_chat"`}},
		{"unknown low intent", map[string]string{"nlu/intents/other.yaml": ""},
			[]string{"settings.yaml", `"other"`}},
		{"unknown consult intent", map[string]string{"nlu/intents/consult.yaml": ""},
			[]string{"priority.yaml", "general_consult.intents", `"consult"`}},
		{"empty priority phrase", map[string]string{"nlu/priority.yaml": "escalation:\n  terms: [12315, \"\"]\n"},
			[]string{"priority.yaml", "escalation.terms", "empty phrase"}},
		{"measure not a marker", map[string]string{"nlu/fields.yaml": "amount:\n  after: [元]\n  measure: [块]\n"},
			[]string{"fields.yaml", "amount.measure"}},
		{"bad order range", map[string]string{"nlu/fields.yaml": "order_id:\n  digits: [20, 12]\n"},
			[]string{"fields.yaml", "order_id"}},
		{"missing file", map[string]string{"nlu/fields.yaml": ""},
			[]string{"fields.yaml"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := rules.ParseConfig(companyFS(t, tc.edits), "nlu")
			if err == nil {
				_, err = rules.New(cfg)
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestNoIntentFiles: a directory without intents is an error, not an
// extractor that answers "other" to everything.
func TestNoIntentFiles(t *testing.T) {
	fsys := fstest.MapFS{
		"settings.yaml": {Data: []byte("fallback: other\n")},
		"priority.yaml": {Data: []byte("{}\n")},
		"fields.yaml":   {Data: []byte("{}\n")},
	}
	if _, err := rules.ParseConfig(fsys, "."); err == nil || !strings.Contains(err.Error(), "no intent files") {
		t.Fatalf("err = %v, want no intent files", err)
	}
}
