package rules

import (
	"math"
	"slices"
)

// intentModel picks the intent of a message: keyword weights (a phrase
// inside a longer one does not count) plus combos plus example similarity; the best
// total wins, an earlier first mention breaks a tie (LABELS.md §2.1 rule 8),
// and below MinScore the fallback intent is returned.
type intentModel struct {
	names    []string
	fallback int
	minScore float64
	combos   []comboRule
	examples *exampleIndex
	exWeight float64
}

type comboRule struct {
	intent int
	full   uint32 // bitmask with one bit per group
	weight float64
}

// intentScores is the per-intent working state of one classification.
type intentScores struct {
	score []float64
	first []int32 // rune position of the first evidence, for tie-breaks
}

// classify returns the intent index and the confidence in it.
func (m *intentModel) classify(rs []rune, hits []hit, uses []use) (int, float64) {
	st := intentScores{score: make([]float64, len(m.names)), first: make([]int32, len(m.names))}
	for i := range st.first {
		st.first[i] = math.MaxInt32
	}
	m.addKeywords(&st, hits, uses)
	m.addCombos(&st, hits, uses)
	if m.exWeight > 0 && m.examples != nil {
		sim := make([]float64, len(m.names))
		m.examples.similarity(rs, sim)
		for i, s := range sim {
			st.score[i] += m.exWeight * s
		}
	}
	best, second := -1, -1
	for i := range m.names {
		switch {
		case best < 0 || better(st, i, best):
			best, second = i, best
		case second < 0 || better(st, i, second):
			second = i
		}
	}
	top := st.score[best]
	if top < m.minScore {
		// Nothing recognisable: the fallback, with a confidence that says
		// how little was found.
		return m.fallback, 0.2 * math.Max(0, top) / m.minScore
	}
	var runnerUp float64
	if second >= 0 {
		runnerUp = math.Max(0, st.score[second])
	}
	return best, confidence(top, runnerUp)
}

// better reports whether intent i beats intent j: a higher score, or the
// same score mentioned first.
func better(st intentScores, i, j int) bool {
	const eps = 1e-9
	if d := st.score[i] - st.score[j]; math.Abs(d) > eps {
		return d > 0
	}
	return st.first[i] < st.first[j]
}

// confidence grows with the winning score and with its lead over the
// runner-up: a strong, clear winner approaches 1, a close race stays near
// half of the score's own saturation.
func confidence(top, runnerUp float64) float64 {
	strength := 1 - math.Exp(-top/2)
	lead := (top - runnerUp) / top
	return strength * (0.5 + 0.5*lead)
}

// addKeywords adds the weight of every keyword the message contains, each
// phrase once per intent. A phrase inside a longer matched phrase does not
// count, so "不需要退款" hides the "退款" in it and "支付没反应" the "没反应";
// phrases that merely overlap both count, and phrases with exactly the same
// span (one phrase listed under two intents) all count.
func (m *intentModel) addKeywords(st *intentScores, hits []hit, uses []use) {
	kw := make([]hit, 0, 32)
	for _, h := range hits {
		if uses[h.tag].kind == useKeyword {
			kw = append(kw, h)
		}
	}
	slices.SortFunc(kw, func(a, b hit) int {
		if la, lb := a.end-a.start, b.end-b.start; la != lb {
			return int(lb - la)
		}
		return int(a.start - b.start)
	})
	kept := kw[:0]
	var seen []tag
	for _, h := range kw {
		if insideOther(kept, h) {
			continue
		}
		kept = append(kept, h)
		if slices.Contains(seen, h.tag) {
			continue
		}
		seen = append(seen, h.tag)
		u := uses[h.tag]
		st.score[u.a] += u.w
		st.first[u.a] = min(st.first[u.a], h.start)
	}
}

// insideOther reports whether h lies inside a longer kept hit.
func insideOther(kept []hit, h hit) bool {
	for _, k := range kept {
		if k.start <= h.start && h.end <= k.end && (h.start != k.start || h.end != k.end) {
			return true
		}
	}
	return false
}

// addCombos adds the weight of every combo whose groups all occur.
func (m *intentModel) addCombos(st *intentScores, hits []hit, uses []use) {
	if len(m.combos) == 0 {
		return
	}
	masks := make([]uint32, len(m.combos))
	first := make([]int32, len(m.combos))
	for _, h := range hits {
		u := uses[h.tag]
		if u.kind != useCombo {
			continue
		}
		if masks[u.a] == 0 || h.start < first[u.a] {
			first[u.a] = h.start
		}
		masks[u.a] |= 1 << u.b
	}
	for i, c := range m.combos {
		if masks[i] == c.full {
			st.score[c.intent] += c.weight
			st.first[c.intent] = min(st.first[c.intent], first[i])
		}
	}
}
