package rules_test

import (
	"context"
	"io/fs"
	"strings"
	"testing"

	"github.com/loopdesk/loopdesk/configs"
	"github.com/loopdesk/loopdesk/nlu"
	"github.com/loopdesk/loopdesk/nlu/rules"
)

// installationTraining is a company's labeled batch for an intent it adds:
// training/*.jsonl in the labeling guide's format.
const installationTraining = `{"id": "c-1", "text": "新买的空调什么时候能来装？", "intent": "installation"}
{"id": "c-2", "text": "洗衣机到了，约个师傅来装一下", "intent": "installation"}
{"id": "c-3", "text": "油烟机今天送到，明天能上门装吗", "intent": "installation"}
{"id": "c-4", "text": "热水器需要你们的人来装，周六有空", "intent": "installation"}
{"id": "c-5", "text": "电视要挂墙上，能派人来装支架吗", "intent": "installation"}
{"id": "c-6", "text": "净水器装在厨房水槽下面，什么时候能约", "intent": "installation"}
{"id": "c-7", "text": "Can someone come and mount the TV on Saturday?", "intent": "installation"}
{"id": "c-8", "text": "When can your team set up the new dishwasher?", "intent": "installation"}
{"id": "c-9", "text": "I need the ceiling fan fitted, it was delivered today.", "intent": "installation"}
{"id": "c-10", "text": "Please book a fitter for the wardrobe we bought.", "intent": "installation"}
{"id": "c-11", "text": "门锁到货了，约师傅上门装一下", "intent": "installation"}
{"id": "c-12", "text": "浴霸买了，想约个时间过来装", "intent": "installation"}
`

// TestTrainingFilesTeachAnIntent: a company adds an intent with one example
// and a file of labeled messages; a wording no keyword or example has is
// still recognised, because the text model learned it from the file.
func TestTrainingFilesTeachAnIntent(t *testing.T) {
	fsys := companyFS(t, map[string]string{
		"nlu/intents/installation.yaml":   "name: installation\nexamples:\n  - 新买的空调什么时候能来安装？\n",
		"nlu/training/installation.jsonl": installationTraining,
	})
	ext := extractorFrom(t, fsys)
	for text, want := range map[string]string{
		"智能马桶送到了，约个时间上门装好":                                   "installation",
		"Could you send a fitter to mount the TV we bought?": "installation",
		"订单还没发货，我不想要了，帮我取消退款。":                               nlu.IntentRefund,
	} {
		if got := extractIntent(t, ext, text); got != want {
			t.Errorf("%q: intent %s, want %s", text, got, want)
		}
	}
}

// TestTrainingFileErrors: a typo in a training label is an error naming
// the file and intent; a built-in intent the company removed is skipped,
// so the shipped training files need no edit.
func TestTrainingFileErrors(t *testing.T) {
	tests := []struct {
		name  string
		edits map[string]string
		want  []string // substrings of the error; none: no error
	}{
		{"unknown label", map[string]string{
			"nlu/training/mine.jsonl": `{"text": "帮我查下快递", "intent": "logistic"}` + "\n",
		}, []string{"mine.jsonl", `"logistic"`, "not configured"}},
		{"bad line", map[string]string{
			"nlu/training/mine.jsonl": "{not json\n",
		}, []string{"mine.jsonl", "line 1"}},
		{"removed built-in intent", map[string]string{
			"nlu/intents/feedback.yaml": "",
			"nlu/priority.yaml":         strings.Replace(readEmbedded(t, "nlu/priority.yaml"), "[feedback, other]", "[other]", 1),
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := rules.ParseConfig(companyFS(t, tc.edits), "nlu")
			if err == nil {
				_, err = rules.New(cfg)
			}
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want one mentioning %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestNegatedAction: an action the customer says they do not want is not
// the request (LABELS.md §2.1: "I want a new unit, not a repair").
func TestNegatedAction(t *testing.T) {
	ext := embedded(t)
	for text, want := range map[string]string{
		"耳机左边没声音了，不想修，直接换个新的":                                      nlu.IntentExchange,
		"杯子碎了，不用寄回了吧，把钱退给我":                                        nlu.IntentRefund,
		"衣服小了，不想换了，退货退款":                                           nlu.IntentReturn,
		"The strap broke. I don't want a refund, send a new strap": nlu.IntentExchange,
	} {
		if got := extractIntent(t, ext, text); got != want {
			t.Errorf("%q: intent %s, want %s", text, got, want)
		}
	}
}

// TestNegationWindow: a negator cancels only the phrase right after it, in
// its clause; negators come from the configuration.
func TestNegationWindow(t *testing.T) {
	intents := []rules.Intent{
		{Name: "other", Keywords: map[string]float64{"你好": 1}},
		{Name: "repair", Keywords: map[string]float64{"修": 3}},
		{Name: "exchange", Keywords: map[string]float64{"换": 2}},
	}
	off := rules.Scoring{ExampleWeight: -1, ModelWeight: -1}
	on := off
	on.Negators = []string{"不想"}
	tests := []struct {
		scoring rules.Scoring
		text    string
		want    string
	}{
		{off, "不想修了，换吧", "repair"},
		{on, "不想修了，换吧", "exchange"},
		{on, "不想再等师傅来修，换吧", "repair"},  // too far from the negator
		{on, "不想等了，修一下，换也行", "repair"}, // another clause
	}
	for _, tc := range tests {
		ext, err := rules.New(rules.Config{Scoring: tc.scoring, Intents: intents})
		if err != nil {
			t.Fatal(err)
		}
		if got := extractIntent(t, ext, tc.text); got != tc.want {
			t.Errorf("negators %v, %q: intent %s, want %s", tc.scoring.Negators, tc.text, got, tc.want)
		}
	}
}

// TestModelSwitchAndDeterminism: model_weight < 0 switches the text model
// off, and training is seeded, so two extractors built from the same
// configuration read every message the same way.
func TestModelSwitchAndDeterminism(t *testing.T) {
	cfg := embeddedConfig(t)
	a, err := rules.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := rules.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Scoring.ModelWeight = -1
	off, err := rules.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	text := "The treadmill belt stops randomly mid-run. Please arrange a service visit."
	ga, _ := a.Extract(context.Background(), nlu.Request{Text: text})
	gb, _ := b.Extract(context.Background(), nlu.Request{Text: text})
	if ga.Intent != gb.Intent || ga.Confidence != gb.Confidence {
		t.Errorf("same config, different readings: %s %.6f vs %s %.6f", ga.Intent, ga.Confidence, gb.Intent, gb.Confidence)
	}
	if got := extractIntent(t, off, "订单还没发货，我不想要了，帮我取消退款。"); got != nlu.IntentRefund {
		t.Errorf("model off: intent %s, want refund", got)
	}
}

func readEmbedded(t *testing.T, name string) string {
	t.Helper()
	data, err := fs.ReadFile(configs.FS, name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func embeddedConfig(t *testing.T) rules.Config {
	t.Helper()
	cfg, err := rules.ParseConfig(configs.FS, "nlu")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
