package llmtest

import (
	"strings"

	"github.com/loopdesk/loopdesk/nlu"
	"github.com/loopdesk/loopdesk/redact"
)

// Gold answers a request with the gold label of the labeled message it
// carries (as the model would see it: personal data as placeholders), for
// scripted servers that show what an extractor makes of a perfect model.
// ok is false for a request that carries none of the examples.
func Gold(examples []nlu.Example) func(Request) (answer string, ok bool) {
	type gold struct {
		ex nlu.Example
		ps *redact.Pseudonyms
	}
	byMasked := map[string]gold{}
	for _, ex := range examples {
		masked, ps := redact.Pseudonymize(ex.Text)
		byMasked[strings.TrimSpace(masked)] = gold{ex, ps}
	}
	return func(r Request) (string, bool) {
		g, ok := byMasked[r.Message()]
		if !ok {
			return "", false
		}
		fields := map[string]string{}
		for k, v := range g.ex.Fields {
			fields[k] = placeholderOf(v, g.ps)
		}
		return Answer(g.ex.Intent, g.ex.Priority, fields, 0.95), true
	}
}

// placeholderOf is the placeholder standing for the gold value v, or v.
func placeholderOf(v string, ps *redact.Pseudonyms) string {
	for _, ph := range ps.Placeholders() {
		orig, _ := ps.Original(ph)
		digits := strings.Map(func(r rune) rune {
			if '0' <= r && r <= '9' {
				return r
			}
			return -1
		}, orig)
		if strings.ToLower(orig) == v || strings.HasSuffix(digits, v) && len(v) == 11 {
			return ph
		}
	}
	return v
}
