package email

import (
	"regexp"
	"strings"
)

// body is a readable text found in a MIME subtree.
type body struct {
	text  string
	html  bool // converted from HTML (no text/plain was there)
	found bool
}

// bodyText is the readable body of a message: the text/plain part
// preferred, else the HTML part as text.
//
// Alternatives choose the first non-blank plain text, else the first HTML;
// multipart/related is read through its first readable part (the others
// are the images it shows); every other multipart (mixed, report, signed)
// joins the readable parts it holds in order, which is how Apple Mail's
// text split around an inline attachment reads whole. Parts with a file
// name are attachments, never body; message/rfc822 is not looked into.
func bodyText(root *entity, w *walker) string {
	return readableBody(root, w).text
}

func readableBody(e *entity, w *walker) body {
	if e.multipart() && e.children != nil {
		return multipartBody(e, w)
	}
	if e.filename != "" {
		return body{}
	}
	switch e.mediaType {
	case "text/plain":
		text := decodeTextPart(e, e.params["charset"], w)
		if strings.EqualFold(e.params["format"], "flowed") {
			text = unflow(text, strings.EqualFold(e.params["delsp"], "yes"))
		}
		return body{text: text, found: true}
	case "text/html":
		cs := e.params["charset"]
		if cs == "" {
			cs = metaCharset(e.body)
		}
		return body{text: htmlToText(decodeTextPart(e, cs, w)), html: true, found: true}
	}
	return body{}
}

func multipartBody(e *entity, w *walker) body {
	switch e.mediaType {
	case "multipart/alternative":
		var html body
		for _, c := range e.children {
			b := readableBody(c, w)
			if !b.found || strings.TrimSpace(b.text) == "" {
				continue
			}
			if !b.html {
				return b
			}
			if !html.found {
				html = b
			}
		}
		return html
	case "multipart/related":
		for _, c := range e.children {
			if b := readableBody(c, w); b.found {
				return b
			}
		}
		return body{}
	}
	var texts []string
	joined := body{html: true}
	for _, c := range e.children {
		b := readableBody(c, w)
		if !b.found {
			continue
		}
		texts = append(texts, strings.TrimRight(b.text, "\n"))
		joined.found = true
		joined.html = joined.html && b.html
	}
	joined.text = strings.Join(texts, "\n")
	return joined
}

// decodeTextPart decodes a text part to UTF-8 with "\n" line ends.
func decodeTextPart(e *entity, cs string, w *walker) string {
	text, ok := decodeCharset(e.body, cs)
	if !ok {
		w.defect("%s: charset %q unknown or wrong, read as UTF-8 or GB18030", e.mediaType, cs)
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	return strings.ReplaceAll(text, "\r", "\n")
}

// metaCharsetPattern finds the charset an HTML document declares for itself.
var metaCharsetPattern = regexp.MustCompile(`(?i)<meta[^>]+charset\s*=\s*["']?\s*([a-z0-9_.:-]+)`)

// metaCharset is the charset a <meta> tag near the top of an HTML body
// declares, for HTML parts whose Content-Type does not say.
func metaCharset(b []byte) string {
	if len(b) > 4096 {
		b = b[:4096]
	}
	if m := metaCharsetPattern.FindSubmatch(b); m != nil {
		return string(m[1])
	}
	return ""
}

// unflow decodes format=flowed text (RFC 3676): a line ending in a space
// continues on the next line of the same quote depth; one leading space is
// stuffing; with DelSp=yes the space before a soft break is removed
// (it was inserted by the sender, as in CJK text that has no spaces). The
// signature separator "-- " is never a soft break. Quoted paragraphs come
// out as ">" per level and a space.
func unflow(text string, delSp bool) string {
	var out []string
	var para strings.Builder
	depth, open := 0, false
	emit := func() {
		line := para.String()
		if depth > 0 {
			prefix := strings.Repeat(">", depth)
			if line != "" {
				prefix += " "
			}
			line = prefix + line
		}
		out = append(out, line)
		para.Reset()
		open = false
	}
	for _, line := range strings.Split(text, "\n") {
		d := 0
		for d < len(line) && line[d] == '>' {
			d++
		}
		content := strings.TrimPrefix(line[d:], " ")
		soft := strings.HasSuffix(content, " ") && content != "-- "
		if soft && delSp {
			content = content[:len(content)-1]
		}
		if open && d != depth {
			emit() // a quote depth change ends a paragraph, flowed or not
		}
		depth, open = d, true
		para.WriteString(content)
		if !soft {
			emit()
		}
	}
	if open {
		emit()
	}
	return strings.Join(out, "\n")
}
