package rules

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/loopdesk/loopdesk/configs"
)

// TestDebugScores prints the intent scores and matched phrases of the texts
// in $NLU_DEBUG (separated by "||"), for people tuning the vocabulary. It
// does nothing when the variable is unset.
func TestDebugScores(t *testing.T) {
	texts := os.Getenv("NLU_DEBUG")
	if texts == "" {
		t.Skip("set NLU_DEBUG to texts separated by ||")
	}
	cfg, err := ParseConfig(configs.FS, "nlu")
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range strings.Split(texts, "||") {
		t.Log(debugScores(e, text))
	}
}

func debugScores(e *Extractor, text string) string {
	rs := normalize(text)
	hits := e.matcher.scan(rs, nil)
	m := &e.intents
	st := intentScores{score: make([]float64, len(m.names)), first: make([]int32, len(m.names))}
	m.addKeywords(&st, hits, e.uses)
	kw := append([]float64(nil), st.score...)
	m.addCombos(&st, hits, e.uses)
	sim := make([]float64, len(m.names))
	m.examples.similarity(dedupe(textFeatures(rs, nil)), sim)
	nb := make([]float64, len(m.names))
	if m.model != nil {
		known := m.model.posterior(modelFeatures(rs, nil), nb)
		for i := range nb {
			nb[i] *= min(1, float64(known)/fullEvidence)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", text)
	idx := make([]int, len(m.names))
	for i := range idx {
		idx[i] = i
	}
	total := func(i int) float64 { return st.score[i] + m.exWeight*sim[i] + m.modelWeight*nb[i] }
	sort.Slice(idx, func(a, c int) bool { return total(idx[a]) > total(idx[c]) })
	for _, i := range idx[:4] {
		fmt.Fprintf(&b, "  %-10s total=%.2f kw=%.2f combo=%.2f ex=%.2f model=%.2f\n", m.names[i], total(i), kw[i],
			st.score[i]-kw[i], m.exWeight*sim[i], m.modelWeight*nb[i])
	}
	for _, h := range hits {
		u := e.uses[h.tag]
		if u.kind == useKeyword {
			fmt.Fprintf(&b, "  [%s %s %.1f]", string(rs[h.start:h.end]), m.names[u.a], u.w)
		}
	}
	return b.String()
}
