package rules

import (
	"slices"
	"strings"

	"github.com/loopdesk/loopdesk/nlu"
)

// phone takes the first Chinese mobile number: 11 digits starting 13–19,
// the first three together and the rest optionally split by single spaces
// or hyphens, optionally after a country prefix. Numbers glued to more
// digits are not mobiles (landlines, order numbers), and masked numbers
// (136****2290) never match because '*' is not a digit.
func (m *fieldModel) phone(st *fieldState) {
	rs := st.rs
	for i := 0; i+3 <= len(rs); i++ {
		if rs[i] != '1' || rs[i+1] < '3' || rs[i+1] > '9' || !isDigit(rs[i+2]) {
			continue
		}
		digits, end, ok := mobileDigits(rs, i)
		if !ok {
			continue
		}
		start := m.phonePrefixStart(rs, i)
		if start == i && !separatedBefore(rs, i) || start < i && !separatedBefore(rs, start) {
			continue
		}
		if s := (span{start, end}); st.free(s) {
			st.set(nlu.FieldPhone, digits, s)
			return
		}
	}
}

// mobileDigits reads 1[3-9]d then eight digits each optionally preceded by
// one space or hyphen, and checks no digit follows.
func mobileDigits(rs []rune, i int) (string, int, bool) {
	b := make([]rune, 0, 11)
	b = append(b, rs[i], rs[i+1], rs[i+2])
	j := i + 3
	for len(b) < 11 {
		if j < len(rs) && (rs[j] == ' ' || rs[j] == '-') && j+1 < len(rs) && isDigit(rs[j+1]) {
			j++
		}
		if j >= len(rs) || !isDigit(rs[j]) {
			return "", 0, false
		}
		b = append(b, rs[j])
		j++
	}
	if j < len(rs) && isDigit(rs[j]) {
		return "", 0, false
	}
	if j+1 < len(rs) && (rs[j] == ' ' || rs[j] == '-') && isDigit(rs[j+1]) {
		return "", 0, false
	}
	return string(b), j, true
}

// separatedBefore reports that no digit run ends right before i (directly
// or across one space or hyphen): "0086" is a prefix, "021-6488…" is not a
// mobile.
func separatedBefore(rs []rune, i int) bool {
	if i > 0 && isDigit(rs[i-1]) {
		return false
	}
	return !(i > 1 && (rs[i-1] == ' ' || rs[i-1] == '-') && isDigit(rs[i-2]))
}

// phonePrefixStart returns where a country prefix before the number at i
// starts (one space or hyphen may follow the prefix), or i when there is none.
func (m *fieldModel) phonePrefixStart(rs []rune, i int) int {
	end := i
	if end > 0 && (rs[end-1] == ' ' || rs[end-1] == '-') {
		end--
	}
	for _, p := range m.phonePrefix {
		if start := end - len(p); start >= 0 && hasPrefixAt(rs, start, p) {
			return start
		}
	}
	return i
}

// email takes the first address that is not one of the company's own.
func (m *fieldModel) email(st *fieldState) {
	rs := st.rs
	for at := slices.Index(rs, '@'); at >= 0; {
		start := at
		for start > 0 && isEmailLocal(rs[start-1]) {
			start--
		}
		end := at + 1
		for end < len(rs) && (isAlnum(rs[end]) || rs[end] == '.' || rs[end] == '-') {
			end++
		}
		for end > at+1 && (rs[end-1] == '.' || rs[end-1] == '-') {
			end--
		}
		local, domain := string(rs[start:at]), string(rs[at+1:end])
		if start < at && validDomain(domain) && !m.companyAddress(local, domain) && st.free(span{start, end}) {
			st.set(nlu.FieldEmail, local+"@"+domain, span{start, end})
			return
		}
		next := slices.Index(rs[at+1:], '@')
		if next < 0 {
			return
		}
		at += 1 + next
	}
}

func isEmailLocal(r rune) bool {
	return isAlnum(r) || strings.ContainsRune("._%+-", r)
}

// validDomain wants a dot and a top-level label of two or more letters.
func validDomain(d string) bool {
	k := strings.LastIndexByte(d, '.')
	if k <= 0 || len(d)-k-1 < 2 {
		return false
	}
	for _, r := range d[k+1:] {
		if !isASCIILetter(r) {
			return false
		}
	}
	return true
}

// companyAddress reports addresses of our own mailboxes, which customers
// mention ("I wrote to support@…") but which are not theirs.
func (m *fieldModel) companyAddress(local, domain string) bool {
	if m.excludeLocal[local] {
		return true
	}
	for _, d := range m.excludeDom {
		if domain == d || strings.HasSuffix(domain, "."+d) {
			return true
		}
	}
	return false
}

// addressSpans returns the spans of e-mail addresses and web links in rs.
// Words inside them are not vocabulary: "finance@qinghe-media.cn" mentions
// no media, "www.12315.cn" is not a threat.
func addressSpans(rs []rune) []span {
	var out []span
	for i := 0; i < len(rs); i++ {
		switch {
		case rs[i] == '@':
			start, end := i, i+1
			for start > 0 && isEmailLocal(rs[start-1]) {
				start--
			}
			for end < len(rs) && (isAlnum(rs[end]) || rs[end] == '.' || rs[end] == '-') {
				end++
			}
			out = append(out, span{start, end})
			i = end - 1
		case hasPrefixAt(rs, i, []rune("http://")) || hasPrefixAt(rs, i, []rune("https://")) ||
			hasPrefixAt(rs, i, []rune("www.")) && (i == 0 || !isAlnum(rs[i-1])):
			end := i
			for end < len(rs) && rs[end] < 0x80 && rs[end] != ' ' && rs[end] != '\n' {
				end++
			}
			out = append(out, span{i, end})
			i = end - 1
		}
	}
	return out
}

// dropInside removes the hits that lie inside one of spans.
func dropInside(hits []hit, spans []span) []hit {
	if len(spans) == 0 {
		return hits
	}
	kept := hits[:0]
	for _, h := range hits {
		inside := false
		for _, s := range spans {
			if int(h.start) >= s.start && int(h.end) <= s.end {
				inside = true
				break
			}
		}
		if !inside {
			kept = append(kept, h)
		}
	}
	return kept
}
