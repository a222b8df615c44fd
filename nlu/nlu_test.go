package nlu

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestDetectLang(t *testing.T) {
	for text, want := range map[string]string{
		"订单还没发货":                           LangZH,
		"帮我refund一下":                       LangZH,
		"My order from 王芳 has not arrived": LangEN,
		"12345":                            LangZH,
		"Where is my parcel?":              LangEN,
	} {
		if got := DetectLang(text); got != want {
			t.Errorf("DetectLang(%q) = %s, want %s", text, got, want)
		}
	}
}

func TestReadExamples(t *testing.T) {
	ex, err := ReadExamples(strings.NewReader(`{"id":"a","text":"hi","intent":"other","priority":"low","fields":{}}

{"id":"b","text":"退款","intent":"refund","priority":"normal","fields":{"amount":"1.00"}}`))
	if err != nil || len(ex) != 2 || ex[1].Fields["amount"] != "1.00" {
		t.Fatalf("%+v %v", ex, err)
	}
	for _, bad := range []string{`{"id":`, `{"id":"x","text":"","intent":"other"}`} {
		if _, err := ReadExamples(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// table is an extractor that answers from a map.
type table map[string]Extraction

func (tb table) Extract(_ context.Context, r Request) (Extraction, error) { return tb[r.Text], nil }

func TestEvaluate(t *testing.T) {
	examples := []Example{
		{Text: "a", Intent: IntentRefund, Priority: PriorityHigh, Fields: map[string]string{FieldOrderID: "1", FieldPhone: "2"}},
		{Text: "b", Intent: IntentRefund, Priority: PriorityNormal, Fields: map[string]string{}},
		{Text: "c", Intent: IntentOther, Priority: PriorityLow, Fields: map[string]string{}},
		{Text: "d", Intent: IntentConsult, Priority: PriorityLow, Fields: map[string]string{FieldAmount: "9.00"}},
	}
	ext := table{
		"a": {Intent: IntentRefund, Priority: PriorityHigh, Fields: map[string]string{FieldOrderID: "1", FieldEmail: "x@y.z"}},
		"b": {Intent: IntentReturn, Priority: PriorityNormal},
		"c": {Intent: IntentOther, Priority: PriorityNormal},
		"d": {Intent: IntentConsult, Priority: PriorityLow, Fields: map[string]string{FieldAmount: "9.00"}},
	}
	s, err := Evaluate(context.Background(), ext, examples)
	if err != nil {
		t.Fatal(err)
	}
	// Intents: 3 of 4 right. Per intent F1: refund 2/3, return 0, other 1, consult 1 → macro 2.667/4.
	// Fields: 2 right of 3 predicted and 3 expected.
	want := Score{N: 4, IntentAccuracy: 0.75, IntentMacroF1: (2.0/3 + 0 + 1 + 1) / 4, PriorityAccuracy: 0.75,
		FieldPrecision: 2.0 / 3, FieldRecall: 2.0 / 3, FieldF1: 2.0 / 3}
	if !near(s.IntentAccuracy, want.IntentAccuracy) || !near(s.IntentMacroF1, want.IntentMacroF1) ||
		!near(s.PriorityAccuracy, want.PriorityAccuracy) || !near(s.FieldPrecision, want.FieldPrecision) ||
		!near(s.FieldRecall, want.FieldRecall) || !near(s.FieldF1, want.FieldF1) || s.N != 4 {
		t.Errorf("score %+v\nwant  %+v", s, want)
	}
	if len(s.Errors) != 3 {
		t.Errorf("%d misses listed, want 3 (a, b, c)", len(s.Errors))
	}
	// The breakdowns behind the figures.
	if r := s.PerIntent[IntentRefund]; !near(r.Precision, 1) || !near(r.Recall, 0.5) || r.Support != 2 {
		t.Errorf("refund %+v", r)
	}
	if r := s.PerIntent[IntentReturn]; r.Precision != 0 || r.Support != 0 {
		t.Errorf("return %+v", r)
	}
	if s.Confusion[IntentRefund][IntentReturn] != 1 || s.Confusion[IntentRefund][IntentRefund] != 1 {
		t.Errorf("confusion %v", s.Confusion)
	}
	if f := s.PerField[FieldPhone]; f.Recall != 0 || f.Support != 1 {
		t.Errorf("phone %+v", f)
	}
	if f := s.PerField[FieldEmail]; f.Precision != 0 || f.Support != 0 {
		t.Errorf("email %+v", f)
	}
	if f := s.PerField[FieldAmount]; !near(f.F1, 1) {
		t.Errorf("amount %+v", f)
	}
}

// Fallbacks and failures are counted; a failure scores as other/normal.
func TestEvaluateFallbacks(t *testing.T) {
	examples := []Example{{Text: "a", Intent: IntentOther, Priority: PriorityNormal}, {Text: "b", Intent: IntentRefund, Priority: PriorityNormal}}
	ext := failing{"a": {Intent: IntentOther, Priority: PriorityNormal, Fallback: FallbackBusy}}
	s, err := Evaluate(context.Background(), ext, examples)
	if err != nil {
		t.Fatal(err)
	}
	if s.Fallbacks[FallbackBusy] != 1 || s.Failures != 1 || s.Confusion[IntentRefund][IntentOther] != 1 {
		t.Errorf("score %+v", s)
	}
}

// failing answers from a map and fails for texts it does not have.
type failing map[string]Extraction

func (f failing) Extract(_ context.Context, r Request) (Extraction, error) {
	ex, ok := f[r.Text]
	if !ok {
		return Extraction{}, &ExtractError{Reason: FallbackTimeout, Err: context.DeadlineExceeded}
	}
	return ex, nil
}

func TestFallbackReason(t *testing.T) {
	for err, want := range map[error]string{
		nil: "",
		fmt.Errorf("wrapped: %w", &ExtractError{Reason: FallbackBusy, Err: ErrUnavailable}): FallbackBusy,
		context.Canceled:       FallbackTimeout,
		errors.New("whatever"): FallbackError,
	} {
		if got := FallbackReason(err); got != want {
			t.Errorf("FallbackReason(%v) = %q, want %q", err, got, want)
		}
	}
	err := &ExtractError{Reason: FallbackBreakerOpen, Err: ErrUnavailable}
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "breaker_open") {
		t.Errorf("%v", err)
	}
	if len(FallbackReasons()) != 11 {
		t.Errorf("reasons %v", FallbackReasons())
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
