package llm

import (
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/loopdesk/loopdesk/redact"
)

// fieldCheck normalizes a field value the model gave and checks that it
// is written in the customer's text. The check is what keeps the model's
// answer tied to the message: a value the customer did not write (a guess,
// a value from an example, one an injected instruction asked for) fails.
type fieldCheck struct {
	Field
	pattern *regexp.Regexp // nil: any value
}

func newFieldCheck(f Field) fieldCheck {
	if f.Kind == "" {
		f.Kind = KindText
	}
	c := fieldCheck{Field: f}
	if f.Pattern != "" {
		c.pattern = regexp.MustCompile(`^(?:` + f.Pattern + `)$`) // validated by Config.validate
	}
	return c
}

// normalize writes a value in the field's normal form; ok is false when it
// cannot be one (an amount that is not a number).
func (c fieldCheck) normalize(v string) (string, bool) {
	v = strings.TrimSpace(norm.NFKC.String(v))
	switch c.Kind {
	case KindPhone:
		d := digits(v)
		for _, p := range []string{"0086", "86"} {
			if len(d) == 11+len(p) && strings.HasPrefix(d, p) {
				d = d[len(p):]
			}
		}
		return d, d != ""
	case KindCode:
		v = strings.TrimLeft(strings.ToUpper(removeSpace(v)), "#")
		return v, v != ""
	case KindEmail:
		return strings.ToLower(v), v != ""
	case KindAmount:
		cents, ok := parseAmount(v)
		return formatCents(cents), ok
	}
	v = strings.Join(strings.Fields(v), " ")
	return v, v != ""
}

// accept returns the normalized value when it has the field's format and
// is written in text (the customer's original message).
func (c fieldCheck) accept(value, text string) (string, bool) {
	if redact.IsPlaceholder(value) {
		return "", false // a placeholder that did not restore was made up
	}
	v, ok := c.normalize(value)
	if !ok || c.pattern != nil && !c.pattern.MatchString(v) {
		return "", false
	}
	return v, c.written(v, text)
}

// written reports whether the normalized value v occurs in text.
func (c fieldCheck) written(v, text string) bool {
	t := norm.NFKC.String(text)
	switch c.Kind {
	case KindPhone:
		return strings.Contains(squeeze(t), v)
	case KindCode:
		return strings.Contains(strings.ToUpper(squeeze(t)), strings.ReplaceAll(v, "-", ""))
	case KindEmail:
		return strings.Contains(strings.ToLower(t), v)
	case KindAmount:
		cents, _ := parseAmount(v)
		return amountsIn(t)[cents]
	}
	return strings.Contains(strings.ToLower(strings.Join(strings.Fields(t), " ")), strings.ToLower(v))
}

func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if '0' <= r && r <= '9' {
			return r
		}
		return -1
	}, s)
}

func removeSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// squeeze drops spaces and hyphens, which customers put inside numbers
// ("139-1024-7781", "2024 0511 8832") and the normal forms do not have.
func squeeze(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '-' {
			return -1
		}
		return r
	}, s)
}
