package rules

import (
	"strings"

	"github.com/loopdesk/loopdesk/nlu"
)

// fieldModel reads the LABELS.md §4 fields from a normalized message.
// Labels come through the shared matcher (ruleHits); values are read by
// small hand-written scanners that mirror the guide's formats, because a
// handful of anchored checks at known positions is far cheaper than running
// regular expressions over every message.
type fieldModel struct {
	order        orderFormat
	selfLabelled [][]rune
	phonePrefix  [][]rune // longest first
	excludeLocal map[string]bool
	excludeDom   []string
	carriers     []carrierFormat
	trackingMin  int
	amount       amountModel
}

type orderFormat struct {
	digits, letters, prefixed [2]int
}

type carrierFormat struct {
	prefix []rune
	digits []int
}

type span struct{ start, end int }

// fieldState is the working state of one message: the values found so far
// and the text spans they came from, since one span feeds at most one field.
type fieldState struct {
	rs   []rune
	used []span
	out  map[string]string
}

func (st *fieldState) free(s span) bool {
	for _, u := range st.used {
		if s.start < u.end && u.start < s.end {
			return false
		}
	}
	return true
}

func (st *fieldState) set(key, value string, s span) {
	if st.out == nil {
		st.out = map[string]string{}
	}
	st.out[key] = value
	st.used = append(st.used, s)
}

// extract returns the fields of the message. Labelled values go first
// (tracking before order, so a tracking number never becomes an order id),
// then the unlabelled formats: phone, e-mail, amount.
func (m *fieldModel) extract(rh *ruleHits) map[string]string {
	st := &fieldState{rs: rh.rs}
	m.tracking(st, rh)
	m.orderID(st, rh)
	m.deviceSN(st, rh)
	m.phone(st)
	m.email(st)
	m.amount.extract(st, rh)
	return st.out
}

// skipSep skips what LABELS.md allows between a label and its value:
// spaces, ':', '#', and one 是 / 为 / "is".
func skipSep(rs []rune, i int) int {
	skip := func(i int) int {
		for i < len(rs) && (rs[i] == ' ' || rs[i] == ':' || rs[i] == '#') {
			i++
		}
		return i
	}
	i = skip(i)
	switch {
	case i < len(rs) && (rs[i] == '是' || rs[i] == '为'):
		i = skip(i + 1)
	case hasPrefixAt(rs, i, []rune("is")) && (i+2 == len(rs) || !isASCIILetter(rs[i+2])):
		i = skip(i + 2)
	}
	return i
}

// labelValue returns where the value after a label starts. A label ending
// in a letter or digit ("SN") needs a separator before its value, so "SN"
// inside "SN12" is not a label.
func labelValue(rs []rune, h hit) int {
	i := skipSep(rs, int(h.end))
	if i == int(h.end) && i < len(rs) && isAlnum(rs[i-1]) {
		return -1
	}
	return i
}

// orderID takes the first order-format value right after an order label,
// or a self-labelled one (PO-…).
func (m *fieldModel) orderID(st *fieldState, rh *ruleHits) {
	best, bestSpan := "", span{start: len(st.rs) + 1}
	for _, h := range rh.byKind[useOrderLabel] {
		i := labelValue(st.rs, h)
		if i < 0 || i >= len(st.rs) || i > bestSpan.start {
			continue
		}
		v, end := orderToken(st.rs, i)
		s := span{i, end}
		if m.order.ok(v) && st.free(s) && v != st.out[nlu.FieldTrackingNo] {
			best, bestSpan = v, s
		}
	}
	for i := 0; i < len(st.rs) && i < bestSpan.start; i++ {
		if i > 0 && isAlnum(st.rs[i-1]) || !m.selfLabelledAt(st.rs, i) {
			continue
		}
		v, end := orderToken(st.rs, i)
		if s := (span{i, end}); m.order.ok(v) && st.free(s) {
			best, bestSpan = v, s
			break
		}
	}
	if best != "" {
		st.set(nlu.FieldOrderID, best, bestSpan)
	}
}

func (m *fieldModel) selfLabelledAt(rs []rune, i int) bool {
	for _, p := range m.selfLabelled {
		// The prefix is the whole letter part: "PO-…", "PO2024…", not "POS…".
		if j := i + len(p); hasPrefixAt(rs, i, p) && j < len(rs) && (isDigit(rs[j]) || rs[j] == '-') {
			return true
		}
	}
	return false
}

// orderToken reads letters, digits and hyphens at i, with single spaces
// allowed between digits ("2024 0511 8832 0917"), and normalizes the value:
// upper case, no spaces.
func orderToken(rs []rune, i int) (string, int) {
	var b strings.Builder
	j := i
	for j < len(rs) {
		r := rs[j]
		switch {
		case isAlnum(r) || r == '-' && j > i:
			b.WriteRune(r)
		case r == ' ' && j > i && isDigit(rs[j-1]) && j+1 < len(rs) && isDigit(rs[j+1]):
		default:
			return strings.ToUpper(b.String()), j
		}
		j++
	}
	return strings.ToUpper(b.String()), j
}

// ok reports whether v has the order-number format of LABELS.md: all
// digits, or a letter prefix and digits with at most one hyphen, which sits
// after the prefix or inside the digits.
func (f orderFormat) ok(v string) bool {
	letters := 0
	for letters < len(v) && 'A' <= v[letters] && v[letters] <= 'Z' {
		letters++
	}
	rest := v[letters:]
	if letters > 0 && strings.HasPrefix(rest, "-") {
		rest = rest[1:]
	} else if letters > 0 && strings.Count(rest, "-") == 1 {
		// a hyphen inside the digits: neither first nor last
		if k := strings.IndexByte(rest, '-'); k == 0 || k == len(rest)-1 {
			return false
		}
		rest = strings.Replace(rest, "-", "", 1)
	}
	if rest == "" || strings.Trim(rest, "0123456789") != "" {
		return false
	}
	n := len(rest)
	if letters == 0 {
		return !strings.Contains(v, "-") && f.digits[0] <= n && n <= f.digits[1]
	}
	return f.letters[0] <= letters && letters <= f.letters[1] && f.prefixed[0] <= n && n <= f.prefixed[1]
}

// deviceSN takes the first value right after a serial label: letters,
// digits and inner hyphens, with at least one digit and four characters.
func (m *fieldModel) deviceSN(st *fieldState, rh *ruleHits) {
	for _, h := range rh.byKind[useSNLabel] {
		i := labelValue(st.rs, h)
		if i < 0 || i >= len(st.rs) || !isAlnum(st.rs[i]) {
			continue
		}
		j := i
		for j < len(st.rs) && (isAlnum(st.rs[j]) || st.rs[j] == '-') {
			j++
		}
		for j > i && st.rs[j-1] == '-' {
			j--
		}
		v := string(st.rs[i:j])
		if s := (span{i, j}); len(v) >= 4 && strings.ContainsAny(v, "0123456789") && st.free(s) {
			st.set(nlu.FieldDeviceSN, strings.ToUpper(v), s)
			return
		}
	}
}

// tracking takes the first labelled tracking number, or else the first
// carrier-style code (SF + 12–13 digits).
func (m *fieldModel) tracking(st *fieldState, rh *ruleHits) {
	for _, h := range rh.byKind[useTrackingLabel] {
		i := labelValue(st.rs, h)
		if i < 0 || i >= len(st.rs) || !isAlnum(st.rs[i]) {
			continue
		}
		var b strings.Builder
		j := i
		for ; j < len(st.rs); j++ {
			r := st.rs[j]
			if isAlnum(r) {
				b.WriteRune(r)
				continue
			}
			if r == ' ' && isDigit(st.rs[j-1]) && j+1 < len(st.rs) && isDigit(st.rs[j+1]) {
				continue
			}
			break
		}
		v := b.String()
		if len(v) >= m.trackingMin && strings.ContainsAny(v, "0123456789") {
			st.set(nlu.FieldTrackingNo, strings.ToUpper(v), span{i, j})
			return
		}
	}
	for i := range st.rs {
		if i > 0 && isAlnum(st.rs[i-1]) {
			continue
		}
		for _, c := range m.carriers {
			if !hasPrefixAt(st.rs, i, c.prefix) {
				continue
			}
			j := digitRun(st.rs, i+len(c.prefix))
			n := j - i - len(c.prefix)
			for _, d := range c.digits {
				if n == d && (j == len(st.rs) || !isAlnum(st.rs[j])) {
					st.set(nlu.FieldTrackingNo, strings.ToUpper(string(st.rs[i:j])), span{i, j})
					return
				}
			}
		}
	}
}
