package rules

import (
	"math"
	"math/rand/v2"
)

// textModel is a softmax (multinomial logistic) regression over binary text
// features — the example index's Han bigrams, English words and word pairs,
// plus Han unigrams — trained at New from the intents' example sentences
// and the labeled training messages.
//
// Keywords recognise the wordings someone thought of; the model carries
// what a company's labeled messages say about all the others, so a new
// wording of a known request still lands near its intent. Its posterior is
// added to the keyword score as one more term, so a message with clear
// action words is still decided by them (LABELS.md: the requested action
// decides), while the model settles messages the keywords miss or leave
// close. Logistic regression rather than naive Bayes: naive Bayes counts
// overlapping n-grams as independent evidence and is confidently wrong on
// topic words ("发票" in a suggestion), which cost more correct keyword
// decisions than it fixed.
type textModel struct {
	features map[uint64]int32 // feature hash → feature id
	// w[id*nIntents+intent] is the weight of a feature for an intent.
	w       []float32
	trained []bool // intents with at least one training text
	// thin are intents with fewer than minTexts training texts, on which
	// the model has no opinion worth adding (see intentModel.addModel).
	thin     []bool
	nIntents int
}

// minTexts is how many training texts an intent needs before the model
// judges messages that lead towards it.
const minTexts = 10

// modelDoc is one training text as feature ids, with its intent.
type modelDoc struct {
	ids    []int32
	intent int
	scale  float64 // 1/sqrt(len(ids)): long texts do not shout louder
	weight float64 // class balance: see balance
}

// maxBalance caps how much one text of a thinly trained intent may count,
// so two example sentences are not blown up into a hundred.
const maxBalance = 8

// newTextModel trains a model on texts[i], the training texts of intent i,
// by stochastic gradient descent over epochs passes with a learning rate
// starting at rate and decaying by a tenth per pass. The shuffle is seeded,
// so the same texts always give the same model.
func newTextModel(texts [][]string, epochs int, rate float64) *textModel {
	m := &textModel{features: map[uint64]int32{}, trained: make([]bool, len(texts)), nIntents: len(texts)}
	var docs []modelDoc
	var buf []uint64
	for intent, list := range texts {
		for _, s := range list {
			buf = modelFeatures(normalize(s), buf[:0])
			if len(buf) == 0 {
				continue
			}
			d := modelDoc{intent: intent, scale: 1 / math.Sqrt(float64(len(buf)))}
			for _, f := range buf {
				id, ok := m.features[f]
				if !ok {
					id = int32(len(m.features))
					m.features[f] = id
				}
				d.ids = append(d.ids, id)
			}
			docs = append(docs, d)
			m.trained[intent] = true
		}
	}
	m.thin = make([]bool, m.nIntents)
	for i, list := range texts {
		m.thin[i] = len(list) < minTexts
	}
	balance(docs, m.nIntents)
	m.w = make([]float32, len(m.features)*m.nIntents)
	rnd := rand.New(rand.NewPCG(1, 2))
	p := make([]float64, m.nIntents)
	for range epochs {
		rnd.Shuffle(len(docs), func(i, j int) { docs[i], docs[j] = docs[j], docs[i] })
		for _, d := range docs {
			m.step(d, rate, p)
		}
		rate *= 0.9
	}
	return m
}

// step is one gradient step of the cross-entropy loss on d.
func (m *textModel) step(d modelDoc, rate float64, p []float64) {
	clear(p)
	for _, id := range d.ids {
		for k, w := range m.w[int(id)*m.nIntents:][:m.nIntents] {
			p[k] += float64(w) * d.scale
		}
	}
	m.softmax(p)
	for k := range p {
		g := p[k]
		if k == d.intent {
			g--
		}
		if math.Abs(g) < 1e-4 {
			continue // already right; skipping saves most of the work
		}
		delta := float32(rate * g * d.scale * d.weight)
		for _, id := range d.ids {
			m.w[int(id)*m.nIntents+k] -= delta
		}
	}
}

// balance weights each text so that every trained intent counts as much
// as the average one (up to maxBalance): how many texts a company labeled
// for an intent says nothing about how likely the next message is to be
// one, and an intent added with a few examples must not be out-voted by
// intents that came with hundreds of training messages.
func balance(docs []modelDoc, nIntents int) {
	n := make([]float64, nIntents)
	trained := 0.0
	for _, d := range docs {
		if n[d.intent] == 0 {
			trained++
		}
		n[d.intent]++
	}
	for i := range docs {
		docs[i].weight = min(maxBalance, float64(len(docs))/(trained*n[docs[i].intent]))
	}
}

// posterior writes P(intent | features) into out and returns how many of
// the features the model has seen. Intents without training texts get 0,
// and so does every intent when no feature was seen: the model then has
// nothing to say and must not push any intent.
func (m *textModel) posterior(fs []uint64, out []float64) int {
	clear(out)
	known := 0
	scale := 1 / math.Sqrt(float64(len(fs)))
	for _, f := range fs {
		id, ok := m.features[f]
		if !ok {
			continue
		}
		known++
		for k, w := range m.w[int(id)*m.nIntents:][:m.nIntents] {
			out[k] += float64(w) * scale
		}
	}
	if known == 0 {
		clear(out)
		return 0
	}
	m.softmax(out)
	return known
}

// softmax turns scores into probabilities over the trained intents, in place.
func (m *textModel) softmax(s []float64) {
	top := math.Inf(-1)
	for k, v := range s {
		if m.trained[k] {
			top = max(top, v)
		}
	}
	var sum float64
	for k, v := range s {
		s[k] = 0
		if m.trained[k] {
			s[k] = math.Exp(v - top)
			sum += s[k]
		}
	}
	for k := range s {
		s[k] /= sum
	}
}

// modelFeatures appends the model's features of a normalized text, sorted
// and without repeats (features are binary).
func modelFeatures(rs []rune, dst []uint64) []uint64 {
	return dedupe(hanUnigrams(rs, textFeatures(rs, dst)))
}

// hanUnigrams appends one feature per Han character. Bigrams carry most
// Chinese words, but single characters (退, 换, 修, 慢) carry the action of
// short and oddly worded messages whose bigrams were never seen.
func hanUnigrams(rs []rune, dst []uint64) []uint64 {
	for i, r := range rs {
		if isHan(r) {
			dst = append(dst, hashRunes('u', rs[i:i+1]))
		}
	}
	return dst
}
