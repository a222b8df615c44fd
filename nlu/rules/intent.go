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
	// negWindow is how many words may separate a negator from the phrase
	// it cancels.
	negWindow int
	examples  *exampleIndex
	exWeight  float64
	// model is the trained text model, nil when switched off.
	model       *textModel
	modelWeight float64
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
	hits = m.dropNegated(rs, hits, uses)
	m.addKeywords(&st, hits, uses)
	m.addCombos(&st, hits, uses)
	fs := m.addExamples(&st, rs)
	own := slices.Clone(st.score)
	m.addModel(&st, rs, fs)
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
	// The model may settle the race (the lead), but how strong the winner
	// is comes from the configured evidence for it: a one-word message the
	// model merely agrees with is still a thin reading.
	return best, confidence(own[best], st.score[best], runnerUp)
}

// addExamples adds the example similarity scaled by its weight and returns
// the message's text features, which the text model reads too.
func (m *intentModel) addExamples(st *intentScores, rs []rune) []uint64 {
	if m.examples == nil && m.model == nil {
		return nil
	}
	fs := dedupe(textFeatures(rs, make([]uint64, 0, 3*len(rs))))
	if m.examples != nil {
		sim := make([]float64, len(m.names))
		m.examples.similarity(fs, sim)
		for i, s := range sim {
			st.score[i] += m.exWeight * s
		}
	}
	return fs
}

// addModel adds the text model's posterior scaled by its weight. fs are
// the message's text features; the model adds Han unigrams to them. The
// model stays out when the leader so far is an intent it was barely trained
// on (a company's new intent with a few examples): it cannot weigh an
// intent it does not know against those it does, and would only pull the
// message towards the latter.
func (m *intentModel) addModel(st *intentScores, rs []rune, fs []uint64) {
	if m.model == nil {
		return
	}
	lead := 0
	for i := range st.score {
		if better(*st, i, lead) {
			lead = i
		}
	}
	if m.model.thin[lead] {
		return
	}
	p := make([]float64, len(m.names))
	known := m.model.posterior(dedupe(hanUnigrams(rs, fs)), p)
	// A message of a few characters ("在吗？", "收到") gives the model two or
	// three features, mostly single characters like 吗 that every kind of
	// question shares; its reading of so little must not outvote a
	// keyword, so the weight grows with what it saw.
	w := m.modelWeight * min(1, float64(known)/fullEvidence)
	for i, v := range p {
		st.score[i] += w * v
	}
}

// fullEvidence is how many known features give the model its full weight.
const fullEvidence = 8

// maxNegationGap bounds, in runes, how far negated looks between a
// negator and a phrase; a few words of any script fit well within it.
const maxNegationGap = 40

// dropNegated returns hits without the keyword and combo phrases that a
// negator cancels (see Scoring.Negators). With no negator it returns hits
// itself; otherwise a new slice, because the caller's hits also feed the
// field and priority readers and must not change under them.
func (m *intentModel) dropNegated(rs []rune, hits []hit, uses []use) []hit {
	var negs []hit
	for _, h := range hits {
		if uses[h.tag].kind == useNegator {
			negs = append(negs, h)
		}
	}
	if len(negs) == 0 {
		return hits
	}
	out := make([]hit, 0, len(hits))
	for _, h := range hits {
		if k := uses[h.tag].kind; (k == useKeyword || k == useCombo) && m.negated(rs, negs, h) {
			continue
		}
		out = append(out, h)
	}
	return out
}

// negated reports whether a negator ends at most negWindow words before h
// in the same clause. A negator inside h ("不想换了") does not count.
func (m *intentModel) negated(rs []rune, negs []hit, h hit) bool {
	for _, n := range negs {
		// A negator after h, or so far before it that no window could
		// reach, is skipped without walking the runes between.
		if n.end > h.start || h.start-n.end > maxNegationGap {
			continue
		}
		words := 0
		for i := int(n.end); i < int(h.start) && words <= m.negWindow; i++ {
			switch {
			case isClauseBreak(rs, i):
				words = m.negWindow + 1
			case isHan(rs[i]):
				words++
			case isASCIILetter(rs[i]) && (i == 0 || !isASCIILetter(rs[i-1])):
				words++
			}
		}
		if words <= m.negWindow {
			return true
		}
	}
	return false
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

// confidence grows with the winner's own evidence and with its lead over
// the runner-up in total score: a strong, clear winner approaches 1, a
// close race stays near half of the evidence's own saturation.
func confidence(evidence, top, runnerUp float64) float64 {
	strength := 1 - math.Exp(-math.Max(0, evidence)/2)
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
