package rules

import (
	"math"
	"slices"
)

// exampleIndex scores a message against the configured example sentences:
// TF-IDF weighted features (Han character bigrams, English words and word
// pairs), cosine similarity, looked up through an inverted index so a
// message touches only the examples that share a feature with it.
type exampleIndex struct {
	features map[uint64]int32 // feature hash → feature id
	idf      []float32        // by feature id
	postings [][]posting      // by feature id
	intentOf []int32          // by example
	nIntents int
	k        int // neighbours averaged per intent
}

type posting struct {
	example int32
	weight  float32 // tf-idf, already divided by the example's norm
}

// newExampleIndex indexes examples[i] as sentences of intent i.
func newExampleIndex(examples [][]string, k int) *exampleIndex {
	x := &exampleIndex{features: map[uint64]int32{}, nIntents: len(examples), k: k}
	var docs [][]uint64
	df := map[uint64]int{}
	for intent, list := range examples {
		for _, s := range list {
			fs := dedupe(textFeatures(normalize(s), nil))
			for _, f := range fs {
				df[f]++
			}
			docs = append(docs, fs)
			x.intentOf = append(x.intentOf, int32(intent))
		}
	}
	n := float64(len(docs))
	for f, d := range df {
		x.features[f] = int32(len(x.idf))
		x.idf = append(x.idf, float32(math.Log(1+n/float64(d))))
	}
	x.postings = make([][]posting, len(x.idf))
	for ex, fs := range docs {
		var norm float64
		for _, f := range fs {
			w := float64(x.idf[x.features[f]])
			norm += w * w
		}
		norm = math.Sqrt(norm)
		for _, f := range fs {
			id := x.features[f]
			x.postings[id] = append(x.postings[id], posting{int32(ex), float32(float64(x.idf[id]) / norm)})
		}
	}
	return x
}

// similarity returns, per intent, the mean cosine similarity of the message
// to that intent's k nearest examples (0..1). fs are the message's
// textFeatures, deduplicated.
func (x *exampleIndex) similarity(fs []uint64, out []float64) {
	clear(out)
	if x == nil || len(x.intentOf) == 0 {
		return
	}
	acc := make([]float32, len(x.intentOf))
	var norm float64
	for _, f := range fs {
		id, ok := x.features[f]
		if !ok {
			// Words no example uses say nothing about which intent is
			// nearest; letting them lengthen the message vector would only
			// shrink every similarity of a long message.
			continue
		}
		w := x.idf[id]
		norm += float64(w * w)
		for _, p := range x.postings[id] {
			acc[p.example] += w * p.weight
		}
	}
	if norm == 0 {
		return
	}
	norm = math.Sqrt(norm)
	x.topK(acc, norm, out)
}

// topK averages each intent's k best example similarities into out. It
// keeps a small sorted array per intent instead of sorting every score.
func (x *exampleIndex) topK(acc []float32, norm float64, out []float64) {
	best := make([]float64, x.nIntents*x.k)
	for ex, a := range acc {
		if a == 0 {
			continue
		}
		top := best[int(x.intentOf[ex])*x.k:][:x.k]
		v := float64(a) / norm
		for j := range top {
			if v > top[j] {
				copy(top[j+1:], top[j:len(top)-1])
				top[j] = v
				break
			}
		}
	}
	for i := range out {
		var sum float64
		for _, v := range best[i*x.k:][:x.k] {
			sum += v
		}
		out[i] = sum / float64(x.k)
	}
}

// textFeatures appends the hashed features of a normalized text: bigrams of
// Han characters (Chinese has no spaces; bigrams carry most of the meaning
// of short words), and English words and word pairs. Digits and punctuation
// carry no intent and are skipped.
func textFeatures(rs []rune, dst []uint64) []uint64 {
	prevWord := uint64(0)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case isHan(r):
			if i+1 < len(rs) && isHan(rs[i+1]) {
				dst = append(dst, hashRunes('h', rs[i:i+2]))
			}
			prevWord = 0
			i++
		case isASCIILetter(r):
			j := i
			for j < len(rs) && (isASCIILetter(rs[j]) || rs[j] == '\'') {
				j++
			}
			w := hashRunes('w', rs[i:j])
			dst = append(dst, w)
			if prevWord != 0 {
				dst = append(dst, prevWord*31+w)
			}
			prevWord = w
			i = j
		default:
			if r != ' ' {
				prevWord = 0
			}
			i++
		}
	}
	return dst
}

func hashRunes(kind byte, rs []rune) uint64 {
	// FNV-1a, inline so hashing a message allocates nothing.
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	h = (h ^ uint64(kind)) * prime
	for _, r := range rs {
		h = (h ^ uint64(r)) * prime
	}
	return h
}

// dedupe sorts fs and drops repeats: features are binary, so a word said
// twice does not outweigh the rest of the message.
func dedupe(fs []uint64) []uint64 {
	slices.Sort(fs)
	return slices.Compact(fs)
}
