package nlu

// Chinese numerals appear in amounts ("一千二百元", "三千五块") and durations
// ("半个月", "十几天"); every extractor reads them the same way, so they
// are read here. Nothing here knows of units.

var cnDigits = map[rune]int64{
	'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4,
	'五': 5, '六': 6, '七': 7, '八': 8, '九': 9,
}

var cnUnits = map[rune]int64{'十': 10, '百': 100, '千': 1000}

// ChineseDigit is the value of a Chinese digit (零 to 九, 两).
func ChineseDigit(r rune) (int64, bool) {
	d, ok := cnDigits[r]
	return d, ok
}

// IsChineseNumeral reports whether r can be part of a Chinese numeral.
func IsChineseNumeral(r rune) bool {
	_, d := cnDigits[r]
	_, u := cnUnits[r]
	return d || u || r == '万'
}

// IsChineseNumeralStart reports whether a numeral may start with r: a digit or
// 十 ("十五"), never 百/千/万, which need a digit before them.
func IsChineseNumeralStart(r rune) bool {
	_, d := cnDigits[r]
	return d || r == '十'
}

// ParseChineseNumeral reads a run of Chinese numeral characters. A trailing digit after
// 百 or 千 with no 零 before it is colloquial elision of the next unit, as
// LABELS.md §4 requires: 三千五 = 3500, 一百五 = 150 (but 一百零五 = 105).
// ok is false for runs that are not a numeral ("万万", "五五").
func ParseChineseNumeral(rs []rune) (v int64, ok bool) {
	var total, section int64
	num, lastUnit := int64(-1), int64(0)
	zero := false
	for _, r := range rs {
		if d, isD := cnDigits[r]; isD {
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
		if u, isU := cnUnits[r]; isU {
			section += max(num, 1) * u
			num, lastUnit, zero = -1, u, false
			continue
		}
		if r != '万' {
			return 0, false
		}
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
	return total + section, true
}
