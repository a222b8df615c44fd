package llm

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// parseAmount reads an amount the model wrote ("1299.00", "¥1,299",
// "268元") as cents. Only Arabic numerals: the schema asks for a plain
// decimal.
func parseAmount(v string) (int64, bool) {
	var b strings.Builder
	for _, r := range v {
		switch {
		case '0' <= r && r <= '9' || r == '.':
			b.WriteRune(r)
		case r == ',' || r == ' ' || strings.ContainsRune("¥￥$元块RMBCNYUSDrmbcnyusd", r):
		default:
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(b.String(), 64)
	if err != nil || f < 0 || f > 1e12 {
		return 0, false
	}
	return int64(math.Round(f * 100)), true
}

func formatCents(c int64) string { return fmt.Sprintf("%d.%02d", c/100, c%100) }

// amountsIn returns every number written in text (NFKC), in cents:
// Arabic numerals with thousands separators and decimals, Chinese numerals
// (一千二百, 三千五), either followed by 万, and "29块9" / "二十九块九" as
// 29.90 as well as 29. Currency markers are not required: the value only
// has to be written; whether it is the right amount is the model's call.
func amountsIn(text string) map[int64]bool {
	rs := []rune(text)
	out := map[int64]bool{}
	for i := 0; i < len(rs); {
		var cents int64
		var end int
		var ok bool
		switch {
		case isDigit(rs[i]) && (i == 0 || !isDigit(rs[i-1])):
			cents, end, ok = arabicAt(rs, i)
		case isCNStart(rs[i]) && (i == 0 || !isCNNumeral(rs[i-1])):
			cents, end, ok = chineseAt(rs, i)
		}
		if !ok {
			i++
			continue
		}
		if end < len(rs) && rs[end] == '万' { // 3.5万元
			cents, end = cents*10000, end+1
		}
		out[cents] = true
		if jiao, ok := jiaoAfter(rs, end); ok {
			out[cents+jiao*10] = true
		}
		i = end
	}
	return out
}

// arabicAt reads 1,299.50 at i: a comma counts when three digits and no
// fourth follow it, one dot when a digit follows it.
func arabicAt(rs []rune, i int) (int64, int, bool) {
	var b strings.Builder
	dot := false
	j := i
	for ; j < len(rs); j++ {
		r := rs[j]
		thousands := r == ',' && j+3 < len(rs) && allDigits(rs[j+1:j+4]) && (j+4 == len(rs) || !isDigit(rs[j+4]))
		decimal := r == '.' && !dot && j+1 < len(rs) && isDigit(rs[j+1])
		if !isDigit(r) && !thousands && !decimal {
			break
		}
		if r != ',' {
			b.WriteRune(r)
		}
		dot = dot || decimal
	}
	cents, ok := parseAmount(b.String())
	return cents, j, ok
}

// chineseAt reads the Chinese numeral (with 万 inside) at i.
func chineseAt(rs []rune, i int) (int64, int, bool) {
	j := i
	for j < len(rs) && isCNNumeral(rs[j]) {
		j++
	}
	v, ok := parseCN(rs[i:j])
	return v * 100, j, ok
}

// jiaoAfter reads the single digit after 块 that colloquially means jiao
// (29块9), when nothing numeric follows it.
func jiaoAfter(rs []rune, i int) (int64, bool) {
	if i+1 >= len(rs) || rs[i] != '块' {
		return 0, false
	}
	d := rs[i+1]
	if i+2 < len(rs) && (isDigit(rs[i+2]) || isCNNumeral(rs[i+2])) {
		return 0, false
	}
	if isDigit(d) {
		return int64(d - '0'), true
	}
	if v, ok := cnDigits[d]; ok {
		return v, true
	}
	return 0, false
}

var cnDigits = map[rune]int64{'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4,
	'五': 5, '六': 6, '七': 7, '八': 8, '九': 9}

var cnUnits = map[rune]int64{'十': 10, '百': 100, '千': 1000}

func isDigit(r rune) bool { return '0' <= r && r <= '9' }

func allDigits(rs []rune) bool {
	for _, r := range rs {
		if !isDigit(r) {
			return false
		}
	}
	return len(rs) > 0
}

func isCNNumeral(r rune) bool {
	_, d := cnDigits[r]
	_, u := cnUnits[r]
	return d || u || r == '万'
}

func isCNStart(r rune) bool {
	_, d := cnDigits[r]
	return d || r == '十'
}

// parseCN reads a Chinese numeral with the colloquial elision of
// LABELS.md §4: 三千五 = 3500, 一百五 = 150, but 一百零五 = 105.
func parseCN(rs []rune) (int64, bool) {
	var total, section int64
	num, lastUnit, zero := int64(-1), int64(0), false
	for _, r := range rs {
		if d, ok := cnDigits[r]; ok {
			if num >= 0 {
				return 0, false // two digits in a row: not a numeral
			}
			if d == 0 {
				zero = true
				continue
			}
			num = d
			continue
		}
		if u, ok := cnUnits[r]; ok {
			section += max(num, 1) * u
			num, lastUnit, zero = -1, u, false
			continue
		}
		// 万
		section += max(num, 0)
		total += max(section, 1) * 10000
		section, num, lastUnit, zero = 0, -1, 10000, false
	}
	if num >= 0 {
		if lastUnit >= 100 && !zero {
			section += num * lastUnit / 10
		} else {
			section += num
		}
	}
	return total + section, len(rs) > 0
}
