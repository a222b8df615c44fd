package email

import (
	"strings"
	"testing"
)

func TestUnflow(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		delSp bool
		want  string
	}{
		{"soft breaks join", "the new token you generated \nstill gets rejected.\nNext line.", false,
			"the new token you generated still gets rejected.\nNext line."},
		{"delsp removes the inserted space", "这是一段很长的中文没有空格 \n所以发送方插入了空格。", true,
			"这是一段很长的中文没有空格所以发送方插入了空格。"},
		{"delsp keeps hard breaks", "Line one \ncontinued\nLine two", true,
			"Line onecontinued\nLine two"},
		{"space-stuffing removed", " > not a quote\n From here", false,
			"> not a quote\nFrom here"},
		{"quoted paragraphs by depth", "> quoted \n> text\n>> deeper \n>> still\nown", false,
			"> quoted text\n>> deeper still\nown"},
		{"depth change ends a paragraph", "> soft at depth one \nnew at depth zero", false,
			"> soft at depth one \nnew at depth zero"},
		{"signature separator is not soft", "Thanks \nJonas\n-- \nJonas Weber", false,
			"Thanks Jonas\n-- \nJonas Weber"},
		{"empty quoted line", ">\n> text", false, ">\n> text"},
		{"final newline kept", "a \nb\n", false, "a b\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unflow(tt.in, tt.delSp); got != tt.want {
				t.Errorf("unflow(%q, %v) = %q, want %q", tt.in, tt.delSp, got, tt.want)
			}
		})
	}
}

func TestHTMLToText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"paragraphs get a blank line", "<p>one</p><p>two</p>", "one\n\ntwo"},
		{"divs and br", "<div>Hi there,</div><div><br></div><div>Thanks</div>", "Hi there,\n\nThanks"},
		{"trailing br in a block is not a line", "<div>a<br></div><div>b</div>", "a\nb"},
		{"white space collapses", "<p>  many\n\n   spaces\there  </p>", "many spaces here"},
		{"inline elements flow", "<p><b>品名：</b>办公椅<br><b>数量：</b>60 把</p>", "品名：办公椅\n数量：60 把"},
		{"entities and nbsp", "<p>a &amp; b&nbsp;|&nbsp;c &lt;x&gt; &#43;44 &quot;q&quot;</p>", "a & b | c <x> +44 \"q\""},
		{"nbsp line is blank", "<div>one<br>&nbsp;<br>two</div>", "one\n\ntwo"},
		{"script style title head dropped", "<html><head><title>T</title><style>p{color:red}</style></head><body><script>alert(1)</script><p>shown</p></body></html>", "shown"},
		{"outlook xml island and comments dropped", "<xml><o:OfficeDocumentSettings>x</o:OfficeDocumentSettings></xml><!--[if gte mso 9]>junk<![endif]--><p class=MsoNormal>text<o:p></o:p></p>", "text"},
		{"list items are lines", "<p>Items:</p><ul><li>one</li><li>two</li></ul><p>end</p>", "Items:\n\none\ntwo\n\nend"},
		{"nested list", "<ol><li>a<ol><li>b</li></ol></li><li>c</li></ol>", "a\nb\nc"},
		{"table cells on one row", "<table><tr><td>Name</td><td>Qty</td></tr><tr><td>Chair</td><td>60</td></tr></table>", "Name Qty\nChair 60"},
		{"pre keeps lines", "<pre>\n$ curl x \\\n  -H y</pre><p>after</p>", "$ curl x \\\n  -H y\n\nafter"},
		{"citation quoted", `<div>reply</div><div>On Tue, X wrote:</div><blockquote type="cite">first<br><br>second</blockquote>`, "reply\nOn Tue, X wrote:\n> first\n>\n> second"},
		{"gmail quote", `<div>ok</div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204)">q</blockquote>`, "ok\n> q"},
		{"163 reply content nested", `<p>ok</p><blockquote id="isReplyContent">a<blockquote type="cite">b</blockquote>c</blockquote>`, "ok\n\n> a\n>> b\n> c"},
		{"indent only", `<div>ok</div><blockquote style="margin:0 0 0 40px;border:none;padding:0px">indented</blockquote><div>end</div>`, "ok\nindented\nend"},
		{"links are their text", `<p>see <a href="https://x.example/a">the guide</a>, <a href="mailto:a@b.example">a@b.example</a></p>`, "see the guide, a@b.example"},
		{"blank runs shrink", "<p>a</p><br><br><br><br><p>b</p>", "a\n\nb"},
		{"unclosed tags", "<div><p>open<div>more", "open\nmore"},
		{"not html at all", "just text", "just text"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := htmlToText(tt.in); got != tt.want {
				t.Errorf("htmlToText(%q) =\n%q, want\n%q", tt.in, got, tt.want)
			}
		})
	}
}

// rawMail builds a raw message from header lines and a body, with CRLF.
func rawMail(header string, body string) []byte {
	header = strings.TrimLeft(header, "\n")
	return []byte(strings.ReplaceAll(header, "\n", "\r\n") + "\r\n" + strings.ReplaceAll(body, "\n", "\r\n"))
}

func TestBodySelection(t *testing.T) {
	tests := []struct {
		name        string
		header      string
		body        string
		text        string
		attachments int
	}{
		{"plain preferred over html",
			"From: a@b.example\nContent-Type: multipart/alternative; boundary=X\n",
			"--X\nContent-Type: text/html\n\n<p>html</p>\n--X\nContent-Type: text/plain\n\nplain\n--X--\n",
			"plain", 0},
		{"blank plain falls back to html",
			"From: a@b.example\nContent-Type: multipart/alternative; boundary=X\n",
			"--X\nContent-Type: text/plain\n\n \n--X\nContent-Type: text/html\n\n<p>html</p>\n--X--\n",
			"html", 0},
		{"mixed parts split around an attachment join",
			"From: a@b.example\nContent-Type: multipart/mixed; boundary=X\n",
			"--X\nContent-Type: text/plain\n\nbefore\n--X\nContent-Type: image/png; name=a.png\nContent-Transfer-Encoding: base64\n\niVBORw==\n--X\nContent-Type: text/plain\n\nafter\n--X--\n",
			"before\nafter", 1},
		{"apple split html under an alternative: plain wins",
			"From: a@b.example\nContent-Type: multipart/alternative; boundary=A\n",
			"--A\nContent-Type: text/plain; charset=utf-8\n\nwhole text\n--A\nContent-Type: multipart/mixed; boundary=M\n\n--M\nContent-Type: text/html\n\n<div>whole</div>\n--M\nContent-Type: application/pdf; name=x.pdf\n\n%PDF\n--M\nContent-Type: text/html\n\n<div>text</div>\n--M--\n--A--\n",
			"whole text", 1},
		{"related reads its root",
			"From: a@b.example\nContent-Type: multipart/related; boundary=R\n",
			"--R\nContent-Type: text/html\n\n<p>root <img src=cid:i1></p>\n--R\nContent-Type: image/png\nContent-ID: <i1>\n\nPNG\n--R--\n",
			"root", 0},
		{"text part with a file name is an attachment",
			"From: a@b.example\nContent-Type: multipart/mixed; boundary=X\n",
			"--X\nContent-Type: text/plain\n\nbody\n--X\nContent-Type: text/plain; charset=gbk\nContent-Disposition: attachment; filename=log.txt\n\nlog\n--X--\n",
			"body", 1},
		{"gbk body",
			"From: a@b.example\nContent-Type: text/plain; charset=GBK\nContent-Transfer-Encoding: base64\n",
			"xOO6w6Os\n",
			"你好，", 0},
		{"euc-cn body",
			"From: a@b.example\nContent-Type: text/plain; charset=euc-cn\nContent-Transfer-Encoding: base64\n",
			"xOO6w6Os\n",
			"你好，", 0},
		{"quoted-printable flowed delsp",
			"From: a@b.example\nContent-Type: text/plain; charset=utf-8; format=flowed; delsp=yes\nContent-Transfer-Encoding: quoted-printable\n",
			"=E4=BD=A0=E5=A5=BD=20\n=E4=B8=96=E7=95=8C\n",
			"你好世界", 0},
		{"html charset from meta",
			"From: a@b.example\nContent-Type: text/html\nContent-Transfer-Encoding: base64\n",
			"PG1ldGEgY2hhcnNldD0iZ2JrIj48cD7E47rDPC9wPg==\n",
			"你好", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Read(rawMail(tt.header, tt.body), ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimRight(m.Text, "\n"); got != tt.text {
				t.Errorf("Text = %q, want %q", got, tt.text)
			}
			if len(m.Attachments) != tt.attachments {
				t.Errorf("%d attachments, want %d", len(m.Attachments), tt.attachments)
			}
			if len(m.Defects) > 0 {
				t.Errorf("defects: %q", m.Defects)
			}
		})
	}
}
