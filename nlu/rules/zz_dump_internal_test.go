package rules

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"

	"github.com/loopdesk/loopdesk/configs"
	"github.com/loopdesk/loopdesk/nlu"
)

// TEMPORARY: dumps per-intent rule scores for prototyping; removed before finishing.
func TestZZDump(t *testing.T) {
	in, out := os.Getenv("DUMP_IN"), os.Getenv("DUMP_OUT")
	if in == "" {
		t.Skip()
	}
	cfg, _ := ParseConfig(configs.FS, "nlu")
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(in)
	exs, _ := nlu.ReadExamples(f)
	w, _ := os.Create(out)
	bw := bufio.NewWriter(w)
	defer w.Close()
	defer bw.Flush()
	m := &e.intents
	for _, ex := range exs {
		rs := normalize(ex.Text)
		hits := e.matcher.scan(rs, nil)
		st := intentScores{score: make([]float64, len(m.names)), first: make([]int32, len(m.names))}
		m.addKeywords(&st, hits, e.uses)
		m.addCombos(&st, hits, e.uses)
		sim := make([]float64, len(m.names))
		m.examples.similarity(rs, sim)
		kw := map[string]float64{}
		ss := map[string]float64{}
		for i, n := range m.names {
			kw[n] = st.score[i]
			ss[n] = sim[i]
		}
		b, _ := json.Marshal(map[string]any{"id": ex.ID, "kw": kw, "sim": ss, "first": st.first})
		bw.Write(append(b, '\n'))
	}
}
