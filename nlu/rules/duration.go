package rules

import (
	"strings"

	"github.com/loopdesk/loopdesk/nlu"
)

// Durations feed H3 ("paid … not shipped for 7 days or more"). Only stated
// durations count — "10天", "一周", "半个月", "two weeks" — never dates: "5月"
// is May and "9日" the ninth, so 月 needs 个 and 日 is not a unit.

// zhUnits maps a unit after a Chinese or Arabic number to days. Units that
// need 个 before them ("个月") are marked.
var zhUnits = []struct {
	text    []rune
	days    float64
	needsGe bool
}{
	{[]rune("工作日"), 1, false},
	{[]rune("天"), 1, false},
	{[]rune("周"), 7, false},
	{[]rune("星期"), 7, false},
	{[]rune("礼拜"), 7, false},
	{[]rune("月"), 30, true},
}

var enUnits = map[string]float64{
	"day": 1, "days": 1, "week": 7, "weeks": 7, "fortnight": 14, "month": 30, "months": 30,
}

var enNumbers = map[string]float64{
	"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
	"seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
	"fifteen": 15, "twenty": 20, "thirty": 30, "several": 3, "few": 2, "couple": 2,
}

// longestDuration returns the longest duration stated in rs, in whole days,
// and the text that stated it.
func longestDuration(rs []rune) (int, string) {
	best, text := 0.0, ""
	for i := 0; i < len(rs); {
		n, end := 0.0, i
		switch r := rs[i]; {
		case isDigit(r) && (i == 0 || !isDigit(rs[i-1]) && rs[i-1] != '.'):
			end = digitRun(rs, i)
			if end-i > 4 {
				i = end
				continue
			}
			n = float64(atoi(rs[i:end]))
		case nlu.IsChineseNumeral(r) || r == '半' || r == '几':
			n, end = zhCount(rs, i)
		case isASCIILetter(r) && (i == 0 || !isASCIILetter(rs[i-1])):
			if d, e := enDuration(rs, i); d > 0 {
				if d > best {
					best, text = d, string(rs[i:e])
				}
			}
			end = i + 1
			for end < len(rs) && isASCIILetter(rs[end]) {
				end++
			}
			i = end
			continue
		default:
			i++
			continue
		}
		d, e := zhUnit(rs, end, n)
		if d == 0 {
			d, e = enUnitAfter(rs, end, n)
		}
		if d > best {
			best, text = d, string(rs[i:e])
		}
		i = max(end, i+1)
	}
	return int(best), text
}

// zhCount reads a Chinese count at i: numerals, 半 (half) and 几 (a few).
// 几 alone counts as 2 and after a numeral as 1 ("十几" ≥ 11): durations are
// read at their lower bound so "几天" stays short.
func zhCount(rs []rune, i int) (float64, int) {
	j := i
	for j < len(rs) && (nlu.IsChineseNumeral(rs[j]) || rs[j] == '几' || rs[j] == '半') {
		j++
	}
	run := append([]rune(nil), rs[i:j]...)
	if string(run) == "几" {
		return 2, j
	}
	if string(run) == "半" {
		return 0.5, j
	}
	half := 0.0
	if run[len(run)-1] == '半' { // 一个半月 is read as 一 + 半 below
		half, run = 0.5, run[:len(run)-1]
	}
	for k, r := range run {
		if r == '几' {
			run[k] = '一'
		}
	}
	v, ok := nlu.ParseChineseNumeral(run)
	if !ok {
		return 0, j
	}
	return float64(v) + half, j
}

// zhUnit reads an optional 多/个 and a unit at i, returning days.
func zhUnit(rs []rune, i int, n float64) (float64, int) {
	if n <= 0 {
		return 0, i
	}
	for i < len(rs) && rs[i] == ' ' {
		i++
	}
	ge := false
	if i < len(rs) && rs[i] == '多' {
		i++
	}
	if i < len(rs) && rs[i] == '个' {
		ge, i = true, i+1
	}
	if i < len(rs) && rs[i] == '半' { // 一个半月
		n, i = n+0.5, i+1
	}
	if i < len(rs) && rs[i] == '多' {
		i++
	}
	for _, u := range zhUnits {
		if hasPrefixAt(rs, i, u.text) && (!u.needsGe || ge) {
			return n * u.days, i + len(u.text)
		}
	}
	return 0, i
}

// enDuration reads "<number> [more|full|whole] <unit>" at i.
func enDuration(rs []rune, i int) (float64, int) {
	word, j := nextWord(rs, i)
	n, ok := enNumbers[word]
	if !ok {
		return 0, i
	}
	if word == "few" || word == "couple" {
		if w, k := nextWord(rs, j); w == "of" {
			j = k
		}
	}
	unit, k := nextWord(rs, j)
	for unit == "more" || unit == "full" || unit == "whole" || unit == "entire" {
		unit, k = nextWord(rs, k)
	}
	d, ok := enUnits[unit]
	if !ok {
		return 0, i
	}
	return n * d, k
}

// enUnitAfter reads "[more|full|whole] <unit>" after a number written in
// digits ("10 days", "14 business days").
func enUnitAfter(rs []rune, i int, n float64) (float64, int) {
	unit, k := nextWord(rs, i)
	for unit == "more" || unit == "full" || unit == "whole" || unit == "business" || unit == "working" {
		unit, k = nextWord(rs, k)
	}
	if d, ok := enUnits[unit]; ok && n > 0 {
		return n * d, k
	}
	return 0, i
}

// nextWord skips spaces and returns the ASCII word at i and its end.
func nextWord(rs []rune, i int) (string, int) {
	for i < len(rs) && rs[i] == ' ' {
		i++
	}
	j := i
	for j < len(rs) && isASCIILetter(rs[j]) {
		j++
	}
	return strings.ToLower(string(rs[i:j])), j
}

// hasPrefixAt reports whether rs[i:] starts with p.
func hasPrefixAt(rs []rune, i int, p []rune) bool {
	if i+len(p) > len(rs) {
		return false
	}
	for k, r := range p {
		if rs[i+k] != r {
			return false
		}
	}
	return true
}
