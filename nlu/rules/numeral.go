package rules

// Runs of numerals and digits in a message (the numerals themselves are
// read by nlu.ParseChineseNumeral).

import "github.com/loopdesk/loopdesk/nlu"

// cnRun returns the end of the run of Chinese numeral characters at i.
func cnRun(rs []rune, i int) int {
	j := i
	for j < len(rs) && nlu.IsChineseNumeral(rs[j]) {
		j++
	}
	return j
}

// digitRun returns the end of the run of ASCII digits at i.
func digitRun(rs []rune, i int) int {
	j := i
	for j < len(rs) && isDigit(rs[j]) {
		j++
	}
	return j
}

// atoi reads ASCII digits; callers bound their length.
func atoi(rs []rune) int64 {
	var v int64
	for _, r := range rs {
		v = v*10 + int64(r-'0')
	}
	return v
}
