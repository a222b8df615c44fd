package rules

import (
	"strconv"

	"github.com/loopdesk/loopdesk/nlu"
)

// amountModel finds money amounts — a number with a currency marker before
// or after it, in Arabic or Chinese numerals — and picks the one the request
// is about. Markers and cue words come from fields.yaml.
type amountModel struct {
	before    []marker // longest first
	after     []marker // longest first
	followers map[rune]bool
	window    int
}

type marker struct {
	text    []rune
	measure bool // also a measure word (块): see measureWord
}

// amountCand is one amount in the message, in cents.
type amountCand struct {
	cents      int64
	start, end int
}

// extract sets the amount field to the candidate the request is about.
func (m *amountModel) extract(st *fieldState, rh *ruleHits) {
	cands := m.candidates(st.rs)
	best, bestScore, bestDist := -1, -1, 0
	for k, c := range cands {
		if !st.free(span{c.start, c.end}) {
			continue
		}
		// A higher cue rank wins; on the same rank the amount nearer its
		// cue ("shows $1,250 but we paid $1,150": paid binds $1,150), and
		// then the first.
		s, d := m.cueScore(rh, c)
		if s > bestScore || s == bestScore && s > 0 && d < bestDist {
			best, bestScore, bestDist = k, s, d
		}
	}
	if best >= 0 {
		c := cands[best]
		st.set(nlu.FieldAmount, formatCents(c.cents), span{c.start, c.end})
	}
}

// cueScore ranks an amount by the words in its clause near it, per
// LABELS.md §4: the sum to refund or the difference (2) beats the amount
// charged (1) beats any other (0). It also returns how far the nearest cue
// of that rank is, in runes.
func (m *amountModel) cueScore(rh *ruleHits, c amountCand) (score, dist int) {
	cs, ce := clauseStart(rh.rs, c.start), clauseEnd(rh.rs, c.end)
	gap := func(h hit) (int, bool) {
		s, e := int(h.start), int(h.end)
		switch {
		case s < cs || e > ce:
			return 0, false
		case e <= c.start && c.start-e <= m.window:
			return c.start - e, true
		case s >= c.end && s-c.end <= m.window:
			return s - c.end, true
		}
		return 0, false
	}
	for rank, kind := range []useKind{useAmountTarget, useAmountCharged} {
		dist = -1
		for _, h := range rh.byKind[kind] {
			if d, ok := gap(h); ok && (dist < 0 || d < dist) {
				dist = d
			}
		}
		if dist >= 0 {
			return 2 - rank, dist
		}
	}
	return 0, 0
}

// candidates returns every money amount in rs in text order.
func (m *amountModel) candidates(rs []rune) []amountCand {
	var out []amountCand
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case isDigit(r) && arabicStart(rs, i):
			if c, ok := m.arabic(rs, i); ok {
				out = append(out, c)
				i = c.end - 1
			}
		case nlu.IsChineseNumeralStart(r) && (i == 0 || !nlu.IsChineseNumeral(rs[i-1]) && !isDigit(rs[i-1])):
			if c, ok := m.chinese(rs, i); ok {
				out = append(out, c)
				i = c.end - 1
			}
		}
	}
	return out
}

// arabicStart reports whether a number starts at i (not inside "12.5" or "1,299").
func arabicStart(rs []rune, i int) bool {
	if i == 0 {
		return true
	}
	p := rs[i-1]
	return !isDigit(p) && !((p == '.' || p == ',') && i > 1 && isDigit(rs[i-2]))
}

// arabic reads an amount in Arabic digits at i: "¥1,299", "$49.9",
// "3.5万元", "42.90 usd", "29块9".
func (m *amountModel) arabic(rs []rune, i int) (amountCand, bool) {
	whole, frac, j, ok := readNumber(rs, i)
	if !ok {
		return amountCand{}, false
	}
	cents := whole*100 + frac
	start := i
	prefixed := false
	if p := m.markerBefore(rs, i); p >= 0 {
		start, prefixed = p, true
	}
	k := j
	if k < len(rs) && rs[k] == ' ' {
		k++
	}
	wan := k < len(rs) && rs[k] == '万'
	if wan {
		cents *= 10000
		k++
	}
	if end, jiao, ok := m.markerAfter(rs, k, cents); ok {
		return amountCand{cents: cents + jiao, start: start, end: end}, true
	}
	if prefixed {
		if wan {
			j = k
		}
		return amountCand{cents: cents, start: start, end: j}, true
	}
	return amountCand{}, false
}

// chinese reads an amount in Chinese numerals at i: "两百块", "一千二百元",
// "二十九块九". The marker must follow directly; "一千多元" is vague.
func (m *amountModel) chinese(rs []rune, i int) (amountCand, bool) {
	j := cnRun(rs, i)
	v, ok := nlu.ParseChineseNumeral(rs[i:j])
	if !ok || v == 0 {
		return amountCand{}, false
	}
	k := j
	if k < len(rs) && rs[k] == ' ' {
		k++
	}
	end, jiao, ok := m.markerAfter(rs, k, v*100)
	// "三块五六" is not an amount, but "一百块一个" is (100 each).
	if !ok || end < len(rs) && nlu.IsChineseNumeral(rs[end]) && !countedAfter(rs, end+1) {
		return amountCand{}, false
	}
	// A lone 一 before a bare measure marker is "a piece" ("烧黑了一块",
	// "缺了一块"), far more often than one yuan; "一块钱" and "一块五" still
	// read as money.
	if v == 1 && jiao == 0 && m.bareMeasure(rs[k:end]) {
		return amountCand{}, false
	}
	return amountCand{cents: v*100 + jiao, start: i, end: end}, true
}

// readNumber reads "1,299", "1299", "49.9" at i: whole units and cents.
func readNumber(rs []rune, i int) (whole, cents int64, end int, ok bool) {
	j := digitRun(rs, i)
	if j-i > 12 {
		return 0, 0, j, false // an id, not money
	}
	whole = atoi(rs[i:j])
	if j-i <= 3 {
		for j+4 <= len(rs) && rs[j] == ',' && digitRun(rs, j+1) == j+4 {
			whole = whole*1000 + atoi(rs[j+1:j+4])
			j += 4
		}
	}
	if j+1 < len(rs) && rs[j] == '.' && isDigit(rs[j+1]) {
		f := digitRun(rs, j+1)
		if f-j-1 > 2 {
			return 0, 0, f, false
		}
		cents = atoi(rs[j+1 : f])
		if f-j-1 == 1 {
			cents *= 10
		}
		j = f
	}
	return whole, cents, j, true
}

// markerBefore returns where a currency marker written before the number
// at i starts (one space may separate them), or -1.
func (m *amountModel) markerBefore(rs []rune, i int) int {
	end := i
	if end > 0 && rs[end-1] == ' ' {
		end--
	}
	for _, mk := range m.before {
		s := end - len(mk.text)
		if s < 0 || !hasPrefixAt(rs, s, mk.text) {
			continue
		}
		if isASCIILetter(mk.text[0]) && s > 0 && isASCIILetter(rs[s-1]) {
			continue
		}
		return s
	}
	return -1
}

// markerAfter matches a currency marker at k and returns the end of the
// amount and any jiao (a digit right after 块: "29块9" is 29.90).
func (m *amountModel) markerAfter(rs []rune, k int, cents int64) (end int, jiao int64, ok bool) {
	for _, mk := range m.after {
		if !hasPrefixAt(rs, k, mk.text) {
			continue
		}
		e := k + len(mk.text)
		last := mk.text[len(mk.text)-1]
		if isASCIILetter(last) && e < len(rs) && isASCIILetter(rs[e]) {
			continue
		}
		if !mk.measure {
			return e, 0, true
		}
		if e < len(rs) && isDigit(rs[e]) {
			if e+1 < len(rs) && isDigit(rs[e+1]) {
				return 0, 0, false
			}
			return e + 1, int64(rs[e]-'0') * 10, true
		}
		if e < len(rs) {
			if d, isD := nlu.ChineseDigit(rs[e]); isD && d > 0 && !countedAfter(rs, e+1) {
				return e + 1, d * 10, true
			}
		}
		if m.measureWord(rs, e, cents) {
			return 0, 0, false
		}
		return e, 0, true
	}
	return 0, 0, false
}

// measureWord reports whether a marker like 块 ending at e counts things
// ("两块电池") rather than money: a small number followed by a Han
// character that does not usually follow money ("45块买的", "两百块的").
func (m *amountModel) measureWord(rs []rune, e int, cents int64) bool {
	if e >= len(rs) || !isHan(rs[e]) || m.followers[rs[e]] {
		return false
	}
	return cents < 20*100
}

// bareMeasure reports whether marker is exactly a measure-word marker (块),
// not a longer one that says money by itself (块钱).
func (m *amountModel) bareMeasure(marker []rune) bool {
	for _, mk := range m.after {
		if mk.measure && string(mk.text) == string(marker) {
			return true
		}
	}
	return false
}

// countedAfter reports a classifier at i: "一百块一个" is 100 each, not
// 100.10, so a digit after 块 followed by 个 is not jiao.
func countedAfter(rs []rune, i int) bool {
	if i >= len(rs) {
		return false
	}
	switch rs[i] {
	case '个', '件', '只', '台', '次', '双', '张', '份', '套', '条', '瓶', '盒', '袋', '包', '斤':
		return true
	}
	return false
}

// formatCents writes a plain decimal with exactly two decimals.
func formatCents(c int64) string {
	return strconv.FormatInt(c/100, 10) + "." + strconv.FormatInt(c%100/10, 10) + strconv.FormatInt(c%10, 10)
}
