package redact

import (
	"regexp"
	"strings"
)

var (
	// A Chinese mobile number, optionally +86/0086, with spaces or hyphens,
	// not inside a longer run of digits.
	phoneRe = regexp.MustCompile(`(^|[^0-9])((?:(?:\+?86|0086)[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4})($|[^0-9])`)
	emailRe = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	// A resident ID-card number: region, birth date 18xx–20xx, sequence, check digit.
	idCardRe = regexp.MustCompile(`(^|[^0-9])(\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx])($|[^0-9A-Za-z])`)
)

// Text masks every phone number, email address and ID-card number in s.
func Text(s string) string {
	if s == "" {
		return s
	}
	if strings.Contains(s, "@") {
		s = emailRe.ReplaceAllStringFunc(s, Email)
	}
	s = replaceGroup(idCardRe, s, func(id string) string { return id[:3] + "***********" + id[len(id)-4:] })
	return replaceGroup(phoneRe, s, Phone)
}

// replaceGroup replaces the second submatch of each match of re (the first
// and third are the boundaries around it). Each search starts where the
// last masked group ended, so the boundary between two numbers ("…,…")
// serves both.
func replaceGroup(re *regexp.Regexp, s string, mask func(string) string) string {
	var b strings.Builder
	last := 0
	for last < len(s) {
		m := re.FindStringSubmatchIndex(s[last:])
		if m == nil {
			break
		}
		start, end := last+m[4], last+m[5]
		b.WriteString(s[last:start])
		b.WriteString(mask(s[start:end]))
		last = end
	}
	if b.Len() == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// Phone masks the middle four digits of a mobile number: 138****8000.
func Phone(p string) string {
	digits := make([]byte, 0, len(p))
	for i := 0; i < len(p); i++ {
		if p[i] >= '0' && p[i] <= '9' {
			digits = append(digits, p[i])
		}
	}
	if len(digits) < 11 {
		return strings.Repeat("*", len(p))
	}
	d := digits[len(digits)-11:]
	return string(d[:3]) + "****" + string(d[7:])
}

// Email keeps the first character of the local part and the domain:
// w***@example.com.
func Email(e string) string {
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" {
		return "***"
	}
	return local[:1] + "***@" + domain
}

// ID masks a person's id on a channel (openid, external_userid, an API
// from.id), keeping the ends so log lines can still be told apart.
func ID(id string) string {
	r := []rune(id)
	if len(r) <= 4 {
		return strings.Repeat("*", len(r))
	}
	keep := min(3, len(r)/4)
	return string(r[:keep]) + "***" + string(r[len(r)-keep:])
}
