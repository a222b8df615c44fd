package email

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlToText renders an HTML body as the text a reader sees: block
// elements start new lines (paragraphs and headings a blank line), <br> is
// a line break, each list item is a line, table cells are spaced on their
// row, <pre> keeps its lines, blockquotes are quoted with "> " (so quoted
// history reads like plain-text quoting), entities are decoded and &nbsp;
// is a space. Script, style, title, template and Outlook <xml> content is
// dropped. Only text the document holds comes out: no bullets, list numbers
// or link targets, which a browser draws but which are not the sender's
// words. Runs of blank lines shrink to one and lines lose trailing white
// space.
func htmlToText(src string) string {
	r := htmlRenderer{lines: []*textLine{{}}, breaks: -1}
	z := html.NewTokenizer(strings.NewReader(src))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		tok := z.Token()
		switch tt {
		case html.TextToken:
			r.text(tok.Data)
		case html.StartTagToken, html.SelfClosingTagToken:
			r.start(tok, tt == html.SelfClosingTagToken)
		case html.EndTagToken:
			r.end(tok)
		}
	}
	return r.render()
}

// textLine is one output line and the blockquote depth it was written at.
type textLine struct {
	depth int
	b     strings.Builder
}

type htmlRenderer struct {
	lines     []*textLine
	pending   int    // line breaks owed before the next text (block boundaries)
	breaks    int    // line breaks at the end of the output; -1 before any text
	space     bool   // collapsed white space owed before the next text
	skip      int    // inside script/style/title/template
	pre       int    // inside <pre>
	quote     int    // depth of citation blockquotes
	quotes    []bool // open blockquotes: citation or mere indentation
	preLeadNL bool   // the newline right after <pre> is not content
}

func (r *htmlRenderer) cur() *textLine { return r.lines[len(r.lines)-1] }

func (r *htmlRenderer) newline() {
	r.lines = append(r.lines, &textLine{depth: r.quote})
	r.space = false
	if r.breaks >= 0 {
		r.breaks++
	}
}

func (r *htmlRenderer) block(n int) {
	r.pending = max(r.pending, n)
	r.space = false
}

// flush writes the line breaks owed by block boundaries.
func (r *htmlRenderer) flush() {
	if r.pending > 0 {
		if r.breaks >= 0 {
			for i := r.breaks; i < r.pending; i++ {
				r.newline()
			}
		}
		r.pending = 0
	}
	if r.cur().b.Len() == 0 {
		r.cur().depth = r.quote
	}
}

func (r *htmlRenderer) write(s string) {
	if s == "" {
		return
	}
	r.flush()
	r.cur().b.WriteString(s)
	r.breaks = 0
}

func (r *htmlRenderer) text(data string) {
	if r.skip > 0 {
		return
	}
	data = strings.ReplaceAll(data, "\u00a0", " ")
	if r.pre > 0 {
		if r.preLeadNL {
			data = strings.TrimPrefix(data, "\n")
			r.preLeadNL = false
		}
		data = strings.ReplaceAll(strings.ReplaceAll(data, "\r\n", "\n"), "\r", "\n")
		for i, seg := range strings.Split(data, "\n") {
			if i > 0 {
				r.flush()
				r.newline()
			}
			r.write(seg)
		}
		return
	}
	// White space collapses to one space, none at the start of a line.
	words := strings.FieldsFunc(data, isHTMLSpace)
	if len(words) == 0 {
		if data != "" {
			r.space = true
		}
		return
	}
	lead := isHTMLSpace(rune(data[0]))
	for i, w := range words {
		if (i > 0 || lead || r.space) && r.pending == 0 && r.cur().b.Len() > 0 {
			r.write(" ")
		}
		r.write(w)
	}
	r.space = isHTMLSpace(rune(data[len(data)-1]))
}

func isHTMLSpace(c rune) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

func (r *htmlRenderer) start(tok html.Token, selfClosing bool) {
	if hidden(tok) {
		if !selfClosing {
			r.skip++
		}
		return
	}
	if r.skip > 0 {
		return
	}
	switch tok.DataAtom {
	case atom.Br:
		r.flush()
		r.newline()
	case atom.P, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Table:
		r.block(2)
	case atom.Pre:
		r.block(2)
		r.pre++
		r.preLeadNL = true
	case atom.Blockquote:
		r.block(1)
		cite := isCitation(tok)
		r.quotes = append(r.quotes, cite)
		if cite {
			r.quote++
		}
	case atom.Td, atom.Th:
		if r.cur().b.Len() > 0 && r.pending == 0 {
			r.space = true
		}
	default:
		if isBlock(tok.DataAtom) {
			r.block(1)
		}
	}
}

func (r *htmlRenderer) end(tok html.Token) {
	if hidden(tok) {
		if r.skip > 0 {
			r.skip--
		}
		return
	}
	if r.skip > 0 {
		return
	}
	switch tok.DataAtom {
	case atom.P, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Table:
		r.block(2)
	case atom.Pre:
		r.block(2)
		if r.pre > 0 {
			r.pre--
		}
	case atom.Blockquote:
		r.block(1)
		if k := len(r.quotes); k > 0 {
			if r.quotes[k-1] && r.quote > 0 {
				r.quote--
			}
			r.quotes = r.quotes[:k-1]
		}
	default:
		if isBlock(tok.DataAtom) {
			r.block(1)
		}
	}
}

// hidden reports whether an element's content is never shown: scripts,
// style sheets, the document title, templates and the <xml> islands Outlook
// writes.
func hidden(tok html.Token) bool {
	switch tok.DataAtom {
	case atom.Script, atom.Style, atom.Title, atom.Template:
		return true
	}
	return tok.Data == "xml"
}

// isCitation tells a blockquote that quotes a message (Thunderbird and
// Apple Mail type="cite", Gmail's gmail_quote, 163's isReplyContent, any
// with a quote bar on the left) from one that only indents, as Gmail's
// "indent more" does.
func isCitation(tok html.Token) bool {
	for _, a := range tok.Attr {
		v := strings.ToLower(a.Val)
		switch a.Key {
		case "type":
			if v == "cite" {
				return true
			}
		case "class", "id":
			if strings.Contains(v, "quote") || strings.Contains(v, "reply") {
				return true
			}
		case "style":
			if strings.Contains(v, "border-left") && !strings.Contains(v, "border-left:none") && !strings.Contains(v, "border-left: none") {
				return true
			}
		}
	}
	return false
}

// isBlock reports whether an element starts and ends a line.
func isBlock(a atom.Atom) bool {
	switch a {
	case atom.Div, atom.Ul, atom.Ol, atom.Li, atom.Tr, atom.Hr, atom.Dl, atom.Dt, atom.Dd,
		atom.Section, atom.Article, atom.Header, atom.Footer, atom.Aside, atom.Nav,
		atom.Address, atom.Center, atom.Form, atom.Fieldset, atom.Figure,
		atom.Figcaption, atom.Main, atom.Caption, atom.Tbody, atom.Thead, atom.Tfoot,
		atom.Body, atom.Html:
		return true
	}
	return false
}

// render joins the lines: quote prefixes, no trailing white space, at most
// one blank line in a row, none at either end.
func (r *htmlRenderer) render() string {
	var out []string
	blank := 0
	for _, l := range r.lines {
		s := strings.TrimRight(l.b.String(), " \t")
		switch {
		case l.depth > 0 && s != "":
			s = strings.Repeat(">", l.depth) + " " + s
		case l.depth > 0 && len(out) > 0 && strings.HasPrefix(out[len(out)-1], ">"):
			s = strings.Repeat(">", l.depth) // a blank line inside the quote
		}
		if strings.TrimSpace(s) == "" {
			blank++
			if blank > 1 || len(out) == 0 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, s)
	}
	for len(out) > 0 && strings.TrimSpace(out[len(out)-1]) == "" {
		out = out[:len(out)-1]
	}
	return strings.Join(out, "\n")
}
