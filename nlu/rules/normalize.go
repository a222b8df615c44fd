package rules

import (
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// normalize turns a message (or a configured phrase) into the form every
// matcher works on, in one pass: NFKC, so full-width digits, letters and
// symbols (０-９, Ａ-Ｚ, ￥, ＠, ，) read as ASCII as LABELS.md §4 requires;
// lower case, so vocabulary and labels need one spelling; curly quotes
// straightened, so "can’t" matches "can't"; every other space character a
// plain space and line breaks '\n', so clause splitting sees one kind of each.
// Rune positions in the result are what all matches and fields refer to.
func normalize(s string) []rune {
	s = norm.NFKC.String(s)
	out := make([]rune, 0, len(s))
	for _, r := range s {
		switch {
		case r < 0x80:
			switch {
			case 'A' <= r && r <= 'Z':
				r += 'a' - 'A'
			case r == '\r':
				r = '\n'
			case r == '\t' || r == '\v' || r == '\f':
				r = ' '
			}
		case r == '‘' || r == '’' || r == '′':
			r = '\''
		case r == '“' || r == '”' || r == '″':
			r = '"'
		case unicode.IsSpace(r):
			r = ' '
		default:
			r = unicode.ToLower(r)
		}
		out = append(out, r)
	}
	return out
}

func isASCIILetter(r rune) bool { return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' }
func isDigit(r rune) bool       { return '0' <= r && r <= '9' }
func isAlnum(r rune) bool       { return isASCIILetter(r) || isDigit(r) }
func isHan(r rune) bool {
	// Fast path for the CJK Unified Ideographs block, where nearly all
	// Chinese text lives; the table lookup covers the rest.
	return 0x4E00 <= r && r <= 0x9FFF || r >= 0x2E80 && unicode.Is(unicode.Han, r)
}

// sameWordClass reports whether a and b would be one word: two ASCII letters
// or two digits. A phrase edge between them is not a word boundary.
func sameWordClass(a, b rune) bool {
	return isASCIILetter(a) && isASCIILetter(b) || isDigit(a) && isDigit(b)
}

// isClauseBreak reports whether r ends a clause. Clauses bound the look-back
// of hypothetical markers ("会不会漏电"): a marker in an earlier clause says
// nothing about a later one.
func isClauseBreak(rs []rune, i int) bool {
	switch rs[i] {
	case '。', '!', '?', ';', '\n', ',', '、', '…':
		return true
	case '.':
		// A full stop ends an English sentence; a dot inside a number or
		// an address does not.
		return i+1 >= len(rs) || rs[i+1] == ' '
	}
	return false
}

// clauseStart returns the index of the first rune of the clause holding i.
func clauseStart(rs []rune, i int) int {
	for j := i - 1; j >= 0; j-- {
		if isClauseBreak(rs, j) {
			return j + 1
		}
	}
	return 0
}
