package nlu

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Example is one labeled message in the format of the labeling guide
// (one JSON object per line).
type Example struct {
	ID       string            `json:"id"`
	Lang     string            `json:"lang"`
	Channel  string            `json:"channel"`
	Text     string            `json:"text"`
	Intent   string            `json:"intent"`
	Priority string            `json:"priority"`
	Fields   map[string]string `json:"fields"`
}

// ReadExamples reads a JSONL file of labeled examples. Blank lines are skipped;
// a malformed line is an error naming its line number.
func ReadExamples(r io.Reader) ([]Example, error) {
	var out []Example
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var ex Example
		if err := json.Unmarshal(sc.Bytes(), &ex); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if ex.Text == "" || ex.Intent == "" {
			return nil, fmt.Errorf("line %d: text and intent are required", line)
		}
		out = append(out, ex)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read examples: %w", err)
	}
	return out, nil
}

// Score is how well an extractor did on a labeled set; fractions are 0..1.
// The JSON form is the output of `loopdesk nlu eval --json`.
type Score struct {
	N                int     `json:"n"`
	IntentAccuracy   float64 `json:"intent_accuracy"`
	IntentMacroF1    float64 `json:"intent_macro_f1"`
	PriorityAccuracy float64 `json:"priority_accuracy"`
	FieldPrecision   float64 `json:"field_precision"`
	FieldRecall      float64 `json:"field_recall"`
	FieldF1          float64 `json:"field_f1"`

	// Errors lists the examples the extractor got wrong in any respect, for
	// reading; it is not part of the JSON form.
	Errors []Miss `json:"-"`
}

// Miss is one example an extractor got (partly) wrong.
type Miss struct {
	Example Example
	Got     Extraction
	Err     error
}

// Evaluate runs ext on every example and scores it. Field scores are micro
// averages over (key, value) pairs; an extractor error counts as intent
// "other", priority "normal" and no fields.
func Evaluate(ctx context.Context, ext Extractor, examples []Example) (Score, error) {
	var (
		s                       Score
		intentOK, priorityOK    int
		fieldTP, fieldPred, fGd int
		perIntent               = map[string]*confusion{}
	)
	count := func(label string) *confusion {
		if perIntent[label] == nil {
			perIntent[label] = &confusion{}
		}
		return perIntent[label]
	}
	for _, ex := range examples {
		if err := ctx.Err(); err != nil {
			return Score{}, err
		}
		got, err := ext.Extract(ctx, Request{Text: ex.Text, Channel: ex.Channel})
		if err != nil {
			got = Extraction{Intent: IntentOther, Priority: PriorityNormal}
		}
		s.N++
		wrong := err != nil
		if got.Intent == ex.Intent {
			intentOK++
			count(ex.Intent).tp++
		} else {
			wrong = true
			count(ex.Intent).fn++
			count(got.Intent).fp++
		}
		if got.Priority == ex.Priority {
			priorityOK++
		} else {
			wrong = true
		}
		fGd += len(ex.Fields)
		fieldPred += len(got.Fields)
		for k, v := range got.Fields {
			if ex.Fields[k] == v {
				fieldTP++
			} else {
				wrong = true
			}
		}
		if len(got.Fields) != len(ex.Fields) {
			wrong = true
		}
		if wrong {
			s.Errors = append(s.Errors, Miss{Example: ex, Got: got, Err: err})
		}
	}
	if s.N == 0 {
		return s, nil
	}
	s.IntentAccuracy = frac(intentOK, s.N)
	s.PriorityAccuracy = frac(priorityOK, s.N)
	s.IntentMacroF1 = macroF1(perIntent)
	s.FieldPrecision, s.FieldRecall, s.FieldF1 = prf(fieldTP, fieldPred, fGd)
	return s, nil
}

type confusion struct{ tp, fp, fn int }

func macroF1(per map[string]*confusion) float64 {
	if len(per) == 0 {
		return 0
	}
	var sum float64
	for _, c := range per {
		_, _, f := prf(c.tp, c.tp+c.fp, c.tp+c.fn)
		sum += f
	}
	return sum / float64(len(per))
}

// prf is precision, recall and F1 from true positives, predicted and gold
// counts. Nothing predicted of nothing expected is perfect.
func prf(tp, pred, gold int) (p, r, f float64) {
	if pred == 0 && gold == 0 {
		return 1, 1, 1
	}
	p, r = frac(tp, pred), frac(tp, gold)
	if p+r > 0 {
		f = 2 * p * r / (p + r)
	}
	return p, r, f
}

func frac(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
