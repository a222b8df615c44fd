package nlu

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
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

// ReadExamplesFile reads the JSONL file of labeled examples at path.
func ReadExamplesFile(path string) ([]Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	exs, err := ReadExamples(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return exs, nil
}

// Score is how well an extractor did on a labeled set; fractions are 0..1.
// The JSON form is the output of `loopdesk nlu eval --json` (CONTRACT.md):
// the detailed breakdowns below it are for the readable report only.
type Score struct {
	N                int     `json:"n"`
	IntentAccuracy   float64 `json:"intent_accuracy"`
	IntentMacroF1    float64 `json:"intent_macro_f1"`
	PriorityAccuracy float64 `json:"priority_accuracy"`
	FieldPrecision   float64 `json:"field_precision"`
	FieldRecall      float64 `json:"field_recall"`
	FieldF1          float64 `json:"field_f1"`

	// PerIntent scores every intent found in the labels or the answers.
	PerIntent map[string]PRF `json:"-"`
	// Confusion counts examples by gold intent, then answered intent.
	Confusion map[string]map[string]int `json:"-"`
	// PerField scores every field key over (key, value) pairs.
	PerField map[string]PRF `json:"-"`
	// Fallbacks counts answers by their Extraction.Fallback reason (a
	// cascade falling back to the rules); Failures counts extractor errors.
	Fallbacks map[string]int `json:"-"`
	Failures  int            `json:"-"`

	// Errors lists the examples the extractor got wrong in any respect, for
	// reading; it is not part of the JSON form.
	Errors []Miss `json:"-"`
}

// PRF is precision, recall and F1 of one label; Support is how many gold
// labels (or field values) it has.
type PRF struct {
	Precision, Recall, F1 float64
	Support               int
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
	t := newTally()
	for _, ex := range examples {
		if err := ctx.Err(); err != nil {
			return Score{}, err
		}
		got, err := ext.Extract(ctx, Request{Text: ex.Text, Channel: ex.Channel})
		if err != nil {
			got = Extraction{Intent: IntentOther, Priority: PriorityNormal}
		}
		t.add(ex, got, err)
	}
	return t.score(), nil
}

// tally accumulates the counts of an evaluation.
type tally struct {
	s                    Score
	intentOK, priorityOK int
	fields, intents      map[string]*confusion
}

type confusion struct{ tp, fp, fn int }

func newTally() *tally {
	return &tally{fields: map[string]*confusion{}, intents: map[string]*confusion{},
		s: Score{Confusion: map[string]map[string]int{}, Fallbacks: map[string]int{}}}
}

func count(m map[string]*confusion, label string) *confusion {
	if m[label] == nil {
		m[label] = &confusion{}
	}
	return m[label]
}

func (t *tally) add(ex Example, got Extraction, err error) {
	t.s.N++
	wrong := err != nil
	if err != nil {
		t.s.Failures++
	}
	if got.Fallback != "" {
		t.s.Fallbacks[got.Fallback]++
	}
	if t.s.Confusion[ex.Intent] == nil {
		t.s.Confusion[ex.Intent] = map[string]int{}
	}
	t.s.Confusion[ex.Intent][got.Intent]++
	if got.Intent == ex.Intent {
		t.intentOK++
		count(t.intents, ex.Intent).tp++
	} else {
		wrong = true
		count(t.intents, ex.Intent).fn++
		count(t.intents, got.Intent).fp++
	}
	if got.Priority == ex.Priority {
		t.priorityOK++
	} else {
		wrong = true
	}
	if !t.addFields(ex.Fields, got.Fields) {
		wrong = true
	}
	if wrong {
		t.s.Errors = append(t.s.Errors, Miss{Example: ex, Got: got, Err: err})
	}
}

// addFields counts (key, value) pairs and reports whether all were right.
func (t *tally) addFields(gold, got map[string]string) bool {
	right := len(gold) == len(got)
	for k, v := range got {
		if gv, ok := gold[k]; ok && gv == v {
			count(t.fields, k).tp++
		} else {
			right = false
			count(t.fields, k).fp++
		}
	}
	for k, v := range gold {
		if gv, ok := got[k]; !ok || gv != v {
			count(t.fields, k).fn++
		}
	}
	return right
}

func (t *tally) score() Score {
	s := t.s
	s.PerIntent, s.PerField = prfs(t.intents), prfs(t.fields)
	if s.N == 0 {
		return s
	}
	s.IntentAccuracy = frac(t.intentOK, s.N)
	s.PriorityAccuracy = frac(t.priorityOK, s.N)
	s.IntentMacroF1 = macroF1(t.intents)
	var all confusion
	for _, c := range t.fields {
		all.tp, all.fp, all.fn = all.tp+c.tp, all.fp+c.fp, all.fn+c.fn
	}
	s.FieldPrecision, s.FieldRecall, s.FieldF1 = prf(all.tp, all.tp+all.fp, all.tp+all.fn)
	return s
}

func prfs(m map[string]*confusion) map[string]PRF {
	out := make(map[string]PRF, len(m))
	for label, c := range m {
		p, r, f := prf(c.tp, c.tp+c.fp, c.tp+c.fn)
		out[label] = PRF{Precision: p, Recall: r, F1: f, Support: c.tp + c.fn}
	}
	return out
}

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
