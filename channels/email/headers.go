package email

import (
	"mime"
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"
)

// encodedWord matches one RFC 2047 encoded-word: =?charset?B|Q?text?=.
// The charset may carry an RFC 2231 language suffix (utf-8*zh-cn).
var encodedWord = regexp.MustCompile(`=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=`)

// wordRun is a run of adjacent encoded-words in one charset, collected as
// bytes so that a character split across two words (GBK and UTF-8 encoders
// cut base64 at byte counts) decodes whole.
type wordRun struct {
	charset string
	data    []byte
}

// decodeWords decodes the RFC 2047 encoded-words in a header value, in any
// charset the reader knows, also where RFC 2047 forbids them but clients
// put them anyway: inside quoted strings (Foxmail and QQ Mail quote the
// display name around the word) and in quoted MIME parameters (name= of
// Thunderbird, Gmail, Outlook, Apple Mail). White space between two
// encoded-words is dropped, as RFC 2047 says; text around them is kept.
// An encoded-word in a charset the reader does not know is read the way
// decodeCharset reads it; one that is not valid base64 stays as it is.
// Control characters never come out.
func decodeWords(s string) string {
	return cleanHeaderText(decodeWordsRaw(headerText(s)))
}

// cleanHeaderText makes decoded header text safe to show: valid UTF-8 (an
// encoded-word may claim UTF-8 and hold anything), white space as spaces,
// no other control characters.
func cleanHeaderText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\r' || r == '\n':
			return ' '
		case r < 0x20 || r == 0x7f:
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

func decodeWordsRaw(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	var b strings.Builder
	var run *wordRun
	flush := func() {
		if run != nil {
			text, _ := decodeCharset(run.data, run.charset)
			b.WriteString(text)
			run = nil
		}
	}
	last := 0
	for _, m := range encodedWord.FindAllStringSubmatchIndex(s, -1) {
		gap := s[last:m[0]]
		cs := s[m[2]:m[3]]
		if i := strings.IndexByte(cs, '*'); i >= 0 {
			cs = cs[:i]
		}
		data, ok := decodeWordText(s[m[4]:m[5]], s[m[6]:m[7]])
		if !ok {
			flush()
			b.WriteString(gap)
			b.WriteString(s[m[0]:m[1]])
			last = m[1]
			continue
		}
		adjacent := run != nil && strings.TrimLeft(gap, " \t\r\n") == ""
		switch {
		case adjacent && strings.EqualFold(run.charset, cs):
			run.data = append(run.data, data...)
		case adjacent:
			flush()
			run = &wordRun{charset: cs, data: data}
		default:
			flush()
			b.WriteString(gap)
			run = &wordRun{charset: cs, data: data}
		}
		last = m[1]
	}
	flush()
	b.WriteString(s[last:])
	return b.String()
}

// decodeWordText decodes the text of one encoded-word to bytes.
func decodeWordText(enc, text string) ([]byte, bool) {
	if enc == "b" || enc == "B" {
		if strings.Trim(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != "" {
			return nil, false
		}
		return decodeBase64([]byte(text))
	}
	out := make([]byte, 0, len(text))
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '_':
			out = append(out, ' ')
		case c == '=' && i+2 < len(text) && isHex(text[i+1]) && isHex(text[i+2]):
			out = append(out, unhex(text[i+1])<<4|unhex(text[i+2]))
			i += 2
		default:
			out = append(out, c)
		}
	}
	return out, true
}

// mergeEncodedWords rewrites each run of adjacent encoded-words in one
// charset as a single UTF-8 encoded-word, so that a parser which decodes word
// by word (net/mail) still sees whole characters. Everything else is left
// as it is.
func mergeEncodedWords(s string) string {
	ms := encodedWord.FindAllStringSubmatchIndex(s, -1)
	if len(ms) < 2 {
		return s
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(ms); {
		j := i + 1
		for j < len(ms) && strings.TrimLeft(s[ms[j-1][1]:ms[j][0]], " \t\r\n") == "" &&
			strings.EqualFold(s[ms[j][2]:ms[j][3]], s[ms[i][2]:ms[i][3]]) {
			j++
		}
		b.WriteString(s[last:ms[i][0]])
		if j == i+1 {
			b.WriteString(s[ms[i][0]:ms[i][1]])
		} else {
			b.WriteString(mime.BEncoding.Encode("utf-8", decodeWords(s[ms[i][0]:ms[j-1][1]])))
		}
		last = ms[j-1][1]
		i = j
	}
	b.WriteString(s[last:])
	return b.String()
}

// headerText makes a raw header value valid UTF-8: RFC 6532 headers are
// UTF-8 already; raw 8-bit bytes in any other charset are read the way
// decodeCharset reads text of unknown charset.
func headerText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return fallbackDecode([]byte(s))
}

// parseAddress reads the first mailbox of an address field (From,
// Reply-To): the address lowercased and the decoded display name, or, for
// the old form "addr (Full Name)", the comment as the name. It reads what it
// can of a malformed field: ok is false when it had to guess.
func parseAddress(v string) (addr, name string, ok bool) {
	v = strings.TrimSpace(headerText(v))
	if v == "" {
		return "", "", true
	}
	parser := mail.AddressParser{WordDecoder: &mime.WordDecoder{CharsetReader: charsetReader}}
	if list, err := parser.ParseList(mergeEncodedWords(v)); err == nil && len(list) > 0 {
		name = list[0].Name
		if strings.Contains(name, "=?") {
			name = decodeWords(name)
		}
		return strings.ToLower(cleanHeaderText(list[0].Address)), strings.TrimSpace(cleanHeaderText(name)), true
	}
	addr, name = guessAddress(v)
	return addr, name, false
}

// angleAddr finds the last <…> of an address field: the mailbox of a
// "Name <addr>" form that net/mail would not take.
var angleAddr = regexp.MustCompile(`<([^<>]*)>`)

// bareAddr finds an addr-spec anywhere in a field.
var bareAddr = regexp.MustCompile(`[^\s<>()",;:]+@[^\s<>()",;:]+`)

// guessAddress is the best-effort reading of an address field net/mail
// rejects (an unknown charset in the name, stray specials, an unterminated
// quote).
func guessAddress(v string) (addr, name string) {
	if ms := angleAddr.FindAllStringSubmatchIndex(v, -1); len(ms) > 0 {
		m := ms[len(ms)-1]
		addr = strings.TrimSpace(v[m[2]:m[3]])
		name = strings.TrimSpace(v[:m[0]])
		name = strings.TrimSuffix(strings.TrimPrefix(name, `"`), `"`)
		name = strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(name)
		return strings.ToLower(addr), strings.TrimSpace(decodeWords(name))
	}
	addr = bareAddr.FindString(v)
	if i, j := strings.IndexByte(v, '('), strings.LastIndexByte(v, ')'); i >= 0 && j > i {
		name = strings.TrimSpace(decodeWords(v[i+1 : j]))
	}
	return strings.ToLower(addr), name
}

// msgIDPattern finds the <…> message ids of a Message-ID, In-Reply-To or
// References field.
var msgIDPattern = regexp.MustCompile(`<([^<>]*)>`)

// parseMsgIDs reads the message ids of a field, without angle brackets, in
// the order they appear. It is lenient: comments and junk between ids are
// skipped, white space folded into an id is removed, and a field without any
// angle brackets (some mobile clients) is read as white-space separated ids
// that contain "@".
func parseMsgIDs(v string) []string {
	var ids []string
	for _, m := range msgIDPattern.FindAllStringSubmatch(v, -1) {
		id := strings.Join(strings.Fields(m[1]), "")
		if id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) > 0 || strings.Contains(v, "<") {
		return ids
	}
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\r' || r == '\n' }) {
		if strings.Contains(f, "@") {
			ids = append(ids, f)
		}
	}
	return ids
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
