package redact

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Kinds of personal data Pseudonymize replaces, as written in placeholders.
const (
	KindPhone    = "PHONE"
	KindEmail    = "EMAIL"
	KindIDCard   = "IDCARD"
	KindBankCard = "BANKCARD"
)

// Placeholders look like ⟦PHONE_1⟧: brackets that customers do not type,
// so a placeholder never collides with the text around it, and a name a
// model can copy into its answer verbatim.
const (
	placeholderOpen  = "⟦"
	placeholderClose = "⟧"
)

// A run of 16–19 digits, optionally grouped by single spaces or hyphens,
// not inside a longer run of digits: a bank-card candidate.
var cardRe = regexp.MustCompile(`(^|[^0-9])(\d(?:[ -]?\d){15,18})($|[^0-9])`)

// Words that make a number before them a bank card, or an order or parcel
// number, within cardContext runes.
var (
	cardWords  = []string{"卡号", "银行卡", "信用卡", "储蓄卡", "借记卡", "card"}
	orderWords = []string{"订单", "单号", "运单", "快递", "order", "tracking", "waybill"}
)

const cardContext = 12

// Pseudonyms maps the placeholders of one pseudonymized text back to what
// they stand for. A nil *Pseudonyms restores nothing (redaction off).
type Pseudonyms struct {
	original map[string]string // placeholder → original text
	byText   map[string]string // original text → placeholder
	order    []string          // placeholders in order of first appearance
	count    map[string]int    // kind → placeholders made
	restorer *strings.Replacer
}

// Pseudonymize replaces mobile phone numbers, email addresses, Chinese
// resident ID-card numbers and bank-card numbers in text by placeholders
// like ⟦PHONE_1⟧, numbered per kind in order of appearance; the same value
// written the same way gets the same placeholder. The Pseudonyms restore
// the originals in anything derived from the masked text (a model's answer).
//
// A bank card is a Luhn-valid 16–19 digit number after a card word (卡号,
// 银行卡, card), or starting with a UnionPay, Visa or Mastercard prefix and
// not labelled as an order or parcel number: order numbers have the same
// length, and hiding them from the model would cost the very field it is
// asked to read. Everything else is replaced whatever its context — a
// masked value costs little, a leaked one cannot be taken back.
func Pseudonymize(text string) (string, *Pseudonyms) {
	p := &Pseudonyms{original: map[string]string{}, byText: map[string]string{}, count: map[string]int{}}
	if strings.Contains(text, "@") {
		text = emailRe.ReplaceAllStringFunc(text, func(e string) string { return p.placeholder(KindEmail, e) })
	}
	text = p.replace(text, idCardRe, KindIDCard, nil)
	text = p.replace(text, cardRe, KindBankCard, bankCard)
	text = p.replace(text, phoneRe, KindPhone, nil)
	pairs := make([]string, 0, 2*len(p.order))
	for _, ph := range p.order {
		pairs = append(pairs, ph, p.original[ph])
	}
	p.restorer = strings.NewReplacer(pairs...)
	return text, p
}

// replace puts a placeholder for the second submatch of each match of re
// (the first and third are the boundaries around it) that accept approves.
// Like replaceGroup, each search starts where the last replaced value
// ended, so one boundary serves two neighbouring values.
func (p *Pseudonyms) replace(s string, re *regexp.Regexp, kind string, accept func(s string, start, end int) bool) string {
	var b strings.Builder
	last, from := 0, 0
	for from < len(s) {
		m := re.FindStringSubmatchIndex(s[from:])
		if m == nil {
			break
		}
		start, end := from+m[4], from+m[5]
		if accept != nil && !accept(s, start, end) {
			from = start + 1
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(p.placeholder(kind, s[start:end]))
		last, from = end, end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func (p *Pseudonyms) placeholder(kind, original string) string {
	if ph, ok := p.byText[original]; ok {
		return ph
	}
	p.count[kind]++
	ph := fmt.Sprintf("%s%s_%d%s", placeholderOpen, kind, p.count[kind], placeholderClose)
	p.original[ph], p.byText[original] = original, ph
	p.order = append(p.order, ph)
	return ph
}

// Restore replaces every placeholder of this text in s by the original it
// stands for. Unknown placeholders stay as they are.
func (p *Pseudonyms) Restore(s string) string {
	if p == nil || len(p.order) == 0 {
		return s
	}
	return p.restorer.Replace(s)
}

// Placeholders returns the placeholders made, in order of first appearance.
func (p *Pseudonyms) Placeholders() []string {
	if p == nil {
		return nil
	}
	return append([]string(nil), p.order...)
}

// Original returns the text a placeholder stands for.
func (p *Pseudonyms) Original(placeholder string) (string, bool) {
	if p == nil {
		return "", false
	}
	o, ok := p.original[placeholder]
	return o, ok
}

// IsPlaceholder reports whether s contains something shaped like a
// placeholder, known or not: a value that still does after Restore was
// made up by whoever wrote it.
func IsPlaceholder(s string) bool {
	i := strings.Index(s, placeholderOpen)
	return i >= 0 && strings.Contains(s[i:], placeholderClose)
}

// bankCard decides whether the digit run s[start:end] is a bank card.
func bankCard(s string, start, end int) bool {
	digits := make([]byte, 0, 19)
	for i := start; i < end; i++ {
		if s[i] >= '0' && s[i] <= '9' {
			digits = append(digits, s[i])
		}
	}
	if !luhn(digits) {
		return false
	}
	before := strings.ToLower(lastRunes(s[:start], cardContext))
	if containsAny(before, cardWords) {
		return true
	}
	return cardPrefix(digits) && !containsAny(before, orderWords)
}

// cardPrefix reports the issuer prefixes of the cards Chinese customers
// carry: UnionPay 62, Visa 4, Mastercard 51–55.
func cardPrefix(d []byte) bool {
	return d[0] == '4' || d[0] == '6' && d[1] == '2' || d[0] == '5' && '1' <= d[1] && d[1] <= '5'
}

// luhn checks the card-number check digit.
func luhn(d []byte) bool {
	sum := 0
	for i := range d {
		v := int(d[len(d)-1-i] - '0')
		if i%2 == 1 {
			if v *= 2; v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return sum%10 == 0
}

func lastRunes(s string, n int) string {
	for i := len(s); i > 0; {
		_, size := utf8.DecodeLastRuneInString(s[:i])
		i -= size
		if n--; n == 0 {
			return s[i:]
		}
	}
	return s
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
