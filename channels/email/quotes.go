package email

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// newText separates what the sender newly wrote from the history under it.
//
// The history starts at the first of these lines (see historyStart): the
// signature delimiter "-- "; a dashed separator naming the original or
// forwarded message (QQ Mail / Foxmail "原始邮件" and "Original", Outlook
// "-----Original Message-----" and "-----邮件原件-----", NetEase Mail Master
// "回复的原邮件", Gmail and Thunderbird "Forwarded message", 163
// "转发邮件信息"); Apple Mail's "Begin forwarded message:"; a client
// tagline ("Sent from my iPhone", "发自我的iPhone", "Get Outlook for iOS");
// an attribution line ("On … wrote:", 163's "At … wrote:" and
// "在 … 写道：", Thunderbird's "在 …, name 写道:", Gmail zh "… 于…写道："),
// also when a client wrapped it over two lines; a header block of a quoted
// message (Outlook's "From:/Sent:/To:/Subject:" under a line of underscores,
// its "发件人:/发送时间:/收件人:/主题:", French and German variants); or the
// trailing run of ">" quoted lines. Separator lines just above the start go
// with the history.
//
// When nothing precedes the history (the sender wrote below the quotes),
// the quoted lines and their attribution are removed instead and the rest
// is cut the same way. The result has no trailing white space on its lines
// and no blank lines at either end.
func newText(text string) string {
	lines := splitLines(strings.Split(text, "\n"))
	kept := lines.raw[:lines.historyStart()]
	if isBlankLines(kept) {
		rest := splitLines(lines.withoutQuotes())
		kept = rest.raw[:rest.historyStart()]
	}
	return tidyLines(kept)
}

// textLines are the lines of a text with what the markers need computed
// once, so that no rule rescans the text per line.
type textLines struct {
	raw  []string
	norm []string // normLine of each line
	next []int    // index of the next non-blank line after each; len(raw) when none
}

func splitLines(raw []string) textLines {
	l := textLines{raw: raw, norm: make([]string, len(raw)), next: make([]int, len(raw))}
	for i, line := range raw {
		l.norm[i] = normLine(line)
	}
	next := len(raw)
	for i := len(raw) - 1; i >= 0; i-- {
		l.next[i] = next
		if l.norm[i] != "" {
			next = i
		}
	}
	return l
}

// quotedNext reports whether the next non-blank line after i is quoted.
func (l textLines) quotedNext(i int) bool {
	j := l.next[i]
	return j < len(l.raw) && strings.HasPrefix(l.norm[j], ">")
}

// historyStart is the index of the first line of quoted history, or
// len(lines) when there is none.
func (l textLines) historyStart() int {
	for i, line := range l.raw {
		n := l.norm[i]
		switch {
		case isSigDelimiter(line):
			return i
		case isHistorySeparator(n), isForwardIntro(n), isTagline(n), l.isHeaderBlock(i):
			return l.backOverSeparators(i)
		}
		if n == "" {
			continue
		}
		u := unquote(n)
		prevOpens := i > 0 && attributionOpener.MatchString(unquote(l.norm[i-1]))
		if isAttribution(u, l.quotedNext(i)) {
			if prevOpens && !attributionOpener.MatchString(u) {
				return i - 1 // "On …, Name <" / "addr> wrote:" wrapped by the client
			}
			return i
		}
		if prevOpens && isAttribution(unquote(l.norm[i-1])+" "+u, l.quotedNext(i)) {
			return i - 1
		}
	}
	return l.trailingQuoteStart()
}

// normLine is a line as the markers are matched: HTML-ish spaces (QQ Mail
// leaves "&nbsp;" in its text part) made plain, trimmed.
func normLine(s string) string {
	s = strings.ReplaceAll(s, "&nbsp;", " ")
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\u00a0', '\u3000', '\u202f', '\u2007':
			return ' '
		case '\ufeff', '\u200b':
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// unquote drops leading ">" quote marks (Apple Mail quotes its own
// attribution line).
func unquote(s string) string {
	return strings.TrimSpace(strings.TrimLeft(s, "> "))
}

func isSigDelimiter(line string) bool {
	line = strings.TrimRight(line, "\r")
	return line == "-- " || line == "--"
}

// historySeparator is a dashed line with words between the dashes.
var historySeparator = regexp.MustCompile(`^[-_=*—–]{2,}\s*(.+?)\s*[-_=*—–]{2,}$`)

// separatorWords name the original or forwarded message in a separator.
var separatorWords = []string{
	"original", "forwarded", "forward", "reply message",
	"原始邮件", "邮件原件", "原邮件", "转发", "原始郵件", "郵件原件", "轉寄", "轉發",
	"message d'origine", "message transféré", "ursprüngliche nachricht",
	"weitergeleitete nachricht", "mensaje original", "mensaje reenviado",
}

func isHistorySeparator(n string) bool {
	m := historySeparator.FindStringSubmatch(n)
	if m == nil {
		return false
	}
	inner := strings.ToLower(m[1])
	for _, w := range separatorWords {
		if strings.Contains(inner, w) {
			return true
		}
	}
	return false
}

// forwardIntro is a line that introduces a forwarded message without dashes.
var forwardIntro = regexp.MustCompile(`(?i)^(begin forwarded message|开始转发的邮件|以下是转发的邮件|轉寄的郵件|anfang der weitergeleiteten nachricht|début du message réexpédié)\s*[:：]?$`)

func isForwardIntro(n string) bool { return forwardIntro.MatchString(n) }

// tagline matches the line a mail app adds under what its user wrote.
var tagline = regexp.MustCompile(`(?i)^(sent from my\s|sent from mail for\s|sent from outlook|sent from yahoo mail|sent from netease|sent from mail ?master|sent with proton|get outlook for\s|获取\s*outlook|发自我的|发自\s*网易邮箱|发送自\s*windows|从\s*windows\s*版邮件发送|来自我的|寄自我的|从我的.*发送$|從我的.*傳送$|von meinem .*gesendet$|envoyé de mon\s|enviado desde mi\s)`)

func isTagline(n string) bool {
	return utf8.RuneCountInString(n) <= 45 && tagline.MatchString(n)
}

// attributionEnd ends the line a client writes above the message it quotes.
var attributionEnd = regexp.MustCompile(`(?i)(wrote|写道|寫道|a écrit|schrieb|escribió|ha scritto)\s*[:：]$`)

// attributionOpener starts an attribution line that a client may wrap.
var attributionOpener = regexp.MustCompile(`(?i)^(on|at|在|am|le|el)\s`)

// isAttribution reports whether s is an attribution line: it ends in
// "wrote:" (or a translation) and names a date or an address, or a quote
// follows it.
func isAttribution(s string, quoteFollows bool) bool {
	if !attributionEnd.MatchString(s) {
		return false
	}
	return quoteFollows || strings.ContainsAny(s, "0123456789@")
}

// headerFrom and headerKey match the fields of a quoted message's header
// block, in the languages of the clients our customers use. A "*" around
// the name is Gmail's rendering of Outlook's bold.
var (
	headerFrom = regexp.MustCompile(`(?i)^\*?(from|发件人|寄件者|寄件人|de|von|da|van)\*?\s*[:：]`)
	headerKey  = regexp.MustCompile(`(?i)^\*?(sent|date|to|cc|subject|发送时间|发送日期|日期|时间|收件人|抄送|主题|寄件日期|收件者|副本|主旨|envoyé|objet|gesendet|datum|an|betreff|inviato|oggetto)\*?\s*[:：]`)
)

// headerKeyKind folds field names into what they mean, so that a block is
// recognised by distinct fields rather than repeated ones.
var headerKeyKind = map[string]string{
	"sent": "date", "date": "date", "发送时间": "date", "发送日期": "date", "日期": "date", "时间": "date",
	"寄件日期": "date", "envoyé": "date", "gesendet": "date", "datum": "date", "inviato": "date",
	"to": "to", "收件人": "to", "收件者": "to", "an": "to",
	"cc": "cc", "抄送": "cc", "副本": "cc",
	"subject": "subject", "主题": "subject", "主旨": "subject", "objet": "subject", "betreff": "subject", "oggetto": "subject",
}

// isHeaderBlock reports whether line i is the From line of a quoted
// message's header block: at least two other kinds of field (date, to, cc,
// subject) follow within six lines. A customer's "From: Beijing / To:
// Shanghai" does not make one.
func (l textLines) isHeaderBlock(i int) bool {
	if !headerFrom.MatchString(l.norm[i]) {
		return false
	}
	kinds := map[string]bool{}
	for _, n := range l.norm[i+1 : min(len(l.norm), i+7)] {
		if m := headerKey.FindStringSubmatch(n); m != nil {
			kinds[headerKeyKind[strings.ToLower(m[1])]] = true
		}
	}
	return len(kinds) >= 2
}

// separatorOnly matches a line of rule characters (Outlook's underscores).
var separatorOnly = regexp.MustCompile(`^[-_=*—–~]{3,}$`)

// backOverSeparators moves a history start up over the blank and
// rule-only lines right above it.
func (l textLines) backOverSeparators(i int) int {
	for i > 0 {
		n := l.norm[i-1]
		if n != "" && !separatorOnly.MatchString(n) {
			break
		}
		i--
	}
	return i
}

// trailingQuoteStart is where the run of ">" quoted lines (and blank lines)
// that ends the text begins, taking an attribution line right above it
// along; len(lines) when the text does not end in quotes. Quotes with the
// sender's own lines after them are interleaved answers and stay.
func (l textLines) trailingQuoteStart() int {
	start, quoted := len(l.raw), false
	for i := len(l.raw) - 1; i >= 0; i-- {
		n := l.norm[i]
		if n == "" {
			continue
		}
		if !strings.HasPrefix(n, ">") {
			break
		}
		start, quoted = i, true
	}
	if !quoted {
		return len(l.raw)
	}
	for j := start - 1; j >= 0; j-- {
		n := l.norm[j]
		if n == "" {
			continue
		}
		if attributionEnd.MatchString(n) {
			return j
		}
		break
	}
	return start
}

// withoutQuotes drops ">" quoted lines and the attribution lines that
// introduce them: what is left of a reply written below or between quotes.
func (l textLines) withoutQuotes() []string {
	var out []string
	for i, line := range l.raw {
		n := l.norm[i]
		if strings.HasPrefix(n, ">") || isAttribution(n, l.quotedNext(i)) {
			continue
		}
		out = append(out, line)
	}
	return out
}

func isBlankLines(lines []string) bool {
	for _, l := range lines {
		if normLine(l) != "" {
			return false
		}
	}
	return true
}

// tidyLines joins lines without trailing white space on any of them and
// without blank lines at either end.
func tidyLines(lines []string) string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.TrimRightFunc(l, isTrailingSpace)
	}
	for len(out) > 0 && normLine(out[0]) == "" {
		out = out[1:]
	}
	for len(out) > 0 && normLine(out[len(out)-1]) == "" {
		out = out[:len(out)-1]
	}
	return strings.Join(out, "\n")
}

func isTrailingSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\r' || r == '\u00a0' || r == '\u3000'
}
