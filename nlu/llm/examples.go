package llm

import (
	"encoding/json"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/loopdesk/loopdesk/nlu"
	"github.com/loopdesk/loopdesk/prompts"
	"github.com/loopdesk/loopdesk/redact"
)

// shot is one labeled example ready for the prompt: its text as the model
// sees it (masked), the answer it should give, and its bigrams for
// choosing the examples closest to a message.
type shot struct {
	example prompts.Example
	grams   []uint64 // sorted, without repeats
}

// prepareShots turns labeled examples into shots, once at New. Examples of
// intents or priorities the extractor does not have are skipped: showing
// them would teach the model answers it may not give.
func (e *Extractor) prepareShots(exs []nlu.Example) ([]shot, error) {
	var out []shot
	for _, ex := range exs {
		if !e.intents[ex.Intent] || ex.Priority != "" && !e.priorities[ex.Priority] {
			continue
		}
		text, ps := e.mask(ex.Text)
		ans, err := json.Marshal(e.exampleAnswer(ex, ps))
		if err != nil {
			return nil, err
		}
		out = append(out, shot{
			example: prompts.Example{Text: text, Answer: string(ans)},
			grams:   bigrams(ex.Text),
		})
	}
	return out, nil
}

// exampleAnswer is the answer the model should give for ex, in the schema's
// shape. Values that were masked in the example's text are written as
// their placeholder, so the model learns to copy placeholders; a value that
// still looks like personal data is left out rather than sent.
func (e *Extractor) exampleAnswer(ex nlu.Example, ps *redact.Pseudonyms) shotAnswer {
	fields := make(map[string]any, len(e.fields))
	for _, f := range e.fields {
		fields[f.Key] = nil
		v, ok := ex.Fields[f.Key]
		if !ok {
			continue
		}
		if ps != nil {
			if v = placeholderFor(f, v, ps); redact.Text(v) != v {
				continue
			}
		}
		fields[f.Key] = v
	}
	priority := ex.Priority
	if priority == "" {
		priority = nlu.PriorityNormal
	}
	return shotAnswer{Intent: ex.Intent, Priority: priority, Fields: fields, Confidence: 1}
}

// shotAnswer writes the keys in the schema's order, which reads better
// than a map's alphabetical one.
type shotAnswer struct {
	Intent     string         `json:"intent"`
	Priority   string         `json:"priority"`
	Fields     map[string]any `json:"fields"`
	Confidence float64        `json:"confidence"`
}

// placeholderFor returns the placeholder whose original normalizes to the
// labeled value v, or v when none does (an order number is not masked).
func placeholderFor(f fieldCheck, v string, ps *redact.Pseudonyms) string {
	for _, ph := range ps.Placeholders() {
		orig, _ := ps.Original(ph)
		if n, ok := f.normalize(orig); ok && n == v {
			return ph
		}
	}
	return v
}

// pick returns the k shots most similar to text, most similar first; ties
// keep the configured order.
func (e *Extractor) pick(text string, k int) []prompts.Example {
	if k <= 0 || len(e.shots) == 0 {
		return nil
	}
	g := bigrams(text)
	type scored struct {
		i int
		s float64
	}
	best := make([]scored, 0, k+1)
	for i, sh := range e.shots {
		s := similarity(g, sh.grams)
		at := len(best)
		for at > 0 && best[at-1].s < s {
			at--
		}
		if at < k {
			best = slices.Insert(best, at, scored{i, s})
			best = best[:min(len(best), k)]
		}
	}
	out := make([]prompts.Example, len(best))
	for j, b := range best {
		out[j] = e.shots[b.i].example
	}
	return out
}

// bigrams are the message's character bigrams after NFKC and case folding,
// spaces dropped: cheap, language-blind, and for Chinese close to words.
func bigrams(text string) []uint64 {
	var rs []rune
	for _, r := range norm.NFKC.String(text) {
		if !unicode.IsSpace(r) && !unicode.IsPunct(r) {
			rs = append(rs, unicode.ToLower(r))
		}
	}
	out := make([]uint64, 0, len(rs))
	for i := 1; i < len(rs); i++ {
		out = append(out, uint64(rs[i-1])<<32|uint64(rs[i]))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// similarity is the cosine of two sorted bigram sets.
func similarity(a, b []uint64) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	n := 0
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] == b[j]:
			n++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return float64(n) / math.Sqrt(float64(len(a))*float64(len(b)))
}

// messageTag matches the tags the prompt wraps a message in, so a message
// cannot close its own wrapper and write outside it.
var messageTag = regexp.MustCompile(`(?i)<\s*/?\s*message\s*>`)

// mask prepares a text for the prompt: personal data replaced by
// placeholders (unless redaction is off), wrapper tags defused.
func (e *Extractor) mask(text string) (string, *redact.Pseudonyms) {
	var ps *redact.Pseudonyms
	if !e.cfg.DisableRedaction {
		text, ps = redact.Pseudonymize(text)
	}
	return strings.TrimSpace(messageTag.ReplaceAllString(text, "[message]")), ps
}
