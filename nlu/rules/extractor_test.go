package rules_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/loopdesk/loopdesk/nlu"
	"github.com/loopdesk/loopdesk/nlu/rules"
)

func TestExtractionSchema(t *testing.T) {
	ext := embedded(t)
	tests := []struct {
		text, intent, lang string
		confident          bool // Confidence >= 0.6, else < 0.5
	}{
		{"订单还没发货，我不想要了，帮我取消退款。", nlu.IntentRefund, nlu.LangZH, true},
		{"帮我refund一下，订单 202405118832", nlu.IntentRefund, nlu.LangZH, true},
		{"Please send a VAT invoice to accounts@example.com.", nlu.IntentBilling, nlu.LangEN, true},
		{"嗯", nlu.IntentOther, nlu.LangZH, false},
		{"", nlu.IntentOther, nlu.LangZH, false},
	}
	for _, tc := range tests {
		got, err := ext.Extract(context.Background(), nlu.Request{Text: tc.text, Channel: "wecom"})
		if err != nil {
			t.Fatal(err)
		}
		if got.Intent != tc.intent || got.Lang != tc.lang || got.Extractor != rules.Name {
			t.Errorf("%q: got intent %s lang %s extractor %s, want %s %s %s",
				tc.text, got.Intent, got.Lang, got.Extractor, tc.intent, tc.lang, rules.Name)
		}
		if !nlu.ValidPriority(got.Priority) || got.Fields == nil {
			t.Errorf("%q: priority %q fields %v", tc.text, got.Priority, got.Fields)
		}
		if got.Confidence < 0 || got.Confidence > 1 || tc.confident != (got.Confidence >= 0.6) {
			t.Errorf("%q: confidence %.2f, want confident=%v", tc.text, got.Confidence, tc.confident)
		}
	}
}

// TestConfidenceReflectsMargin: two actions of equal weight give a lower
// confidence than one clear action.
func TestConfidenceReflectsMargin(t *testing.T) {
	ext := embedded(t)
	clear, _ := ext.Extract(context.Background(), nlu.Request{Text: "验证码一直收不到，登录不了。"})
	mixed, _ := ext.Extract(context.Background(), nlu.Request{Text: "登录不了，另外发票也还没开。"})
	if mixed.Confidence >= clear.Confidence {
		t.Errorf("mixed confidence %.2f >= clear %.2f", mixed.Confidence, clear.Confidence)
	}
}

// TestChannelChangesNothing: LABELS.md says the channel never changes a label.
func TestChannelChangesNothing(t *testing.T) {
	ext := embedded(t)
	text := "Subject: 退货申请\n\n订单号：SO-2024051466023，¥1,899 的扫地机器人噪音太大，想办理退货并退款。"
	var first nlu.Extraction
	for i, ch := range []string{"email", "wecom", "api", "slack", "miniprogram"} {
		got, err := ext.Extract(context.Background(), nlu.Request{Text: text, Channel: ch})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = got
			continue
		}
		if got.Intent != first.Intent || got.Priority != first.Priority || len(got.Fields) != len(first.Fields) {
			t.Errorf("channel %s: %+v differs from %+v", ch, got, first)
		}
	}
}

func TestExtractCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := embedded(t).Extract(ctx, nlu.Request{Text: "hi"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestConcurrentExtract runs one extractor from many goroutines; with -race
// it holds the "safe for concurrent use" promise.
func TestConcurrentExtract(t *testing.T) {
	ext := embedded(t)
	exs := readExamples(t, "../testdata/dev.jsonl")[:40]
	want := make([]nlu.Extraction, len(exs))
	for i, ex := range exs {
		want[i], _ = ext.Extract(context.Background(), nlu.Request{Text: ex.Text})
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, ex := range exs {
				got, err := ext.Extract(context.Background(), nlu.Request{Text: ex.Text})
				if err != nil || got.Intent != want[i].Intent || got.Priority != want[i].Priority {
					t.Errorf("%s: concurrent result %s/%s differs from %s/%s (%v)",
						ex.ID, got.Intent, got.Priority, want[i].Intent, want[i].Priority, err)
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkExtract measures one extraction of a typical message (about
// 100 characters, with fields) and reports the dev-set average too.
func BenchmarkExtract(b *testing.B) {
	ext := embedded(b)
	req := nlu.Request{Channel: "wecom", Text: "订单号：PDD-662019384756，付了268元，商家一直说缺货又不给退款，" +
		"你们平台再不管我就去市场监管局投诉。我的手机 139 1024 7781，麻烦尽快处理，谢谢！"}
	ctx := context.Background()
	b.Run("typical", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ext.Extract(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	exs := readExamples(b, "../testdata/dev.jsonl")
	b.Run("dev", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := ext.Extract(ctx, nlu.Request{Text: exs[i%len(exs)].Text}); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// FuzzExtract: any text yields a valid extraction and never panics.
func FuzzExtract(f *testing.F) {
	for _, s := range []string{"", " ", "@", "a@", "@b.c", "¥", "$1,", "1.", "29块", "块9", "二十九块九",
		"订单", "订单号 #", "SN", "sf", "+86", "1391234567", "半个月", "几", "http://", "会不会漏电",
		"订单号 2024 0511 8832 0917 ¥1,299 +86 139-1024-7781 a@b.cn SN: X1-2 sf140283772019"} {
		f.Add(s)
	}
	ext := embedded(f)
	f.Fuzz(func(t *testing.T, text string) {
		got, err := ext.Extract(context.Background(), nlu.Request{Text: text})
		if err != nil {
			t.Fatal(err)
		}
		if got.Intent == "" || !nlu.ValidPriority(got.Priority) || got.Confidence < 0 || got.Confidence > 1 {
			t.Fatalf("invalid extraction %+v", got)
		}
	})
}
