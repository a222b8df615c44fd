package llm

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/loopdesk/loopdesk/nlu"
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
		case nlu.IsChineseNumeralStart(rs[i]) && (i == 0 || !nlu.IsChineseNumeral(rs[i-1])):
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
	for j < len(rs) && nlu.IsChineseNumeral(rs[j]) {
		j++
	}
	v, ok := nlu.ParseChineseNumeral(rs[i:j])
	return v * 100, j, ok
}

// jiaoAfter reads the single digit after 块 that colloquially means jiao
// (29块9), when nothing numeric follows it.
func jiaoAfter(rs []rune, i int) (int64, bool) {
	if i+1 >= len(rs) || rs[i] != '块' {
		return 0, false
	}
	d := rs[i+1]
	if i+2 < len(rs) && (isDigit(rs[i+2]) || nlu.IsChineseNumeral(rs[i+2])) {
		return 0, false
	}
	if isDigit(d) {
		return int64(d - '0'), true
	}
	if v, ok := nlu.ChineseDigit(d); ok {
		return v, true
	}
	return 0, false
}

func isDigit(r rune) bool { return '0' <= r && r <= '9' }

func allDigits(rs []rune) bool {
	for _, r := range rs {
		if !isDigit(r) {
			return false
		}
	}
	return len(rs) > 0
}
