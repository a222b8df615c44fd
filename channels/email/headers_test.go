package email

import (
	"encoding/base64"
	"reflect"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// bWord encodes s in enc as one RFC 2047 B encoded-word labelled label.
func bWord(t *testing.T, enc encoding.Encoding, label, s string) string {
	t.Helper()
	b, err := enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return "=?" + label + "?B?" + base64.StdEncoding.EncodeToString(b) + "?="
}

func TestDecodeWordsCharsets(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// Vectors from the samples (Foxmail GBK, QQ Mail GB18030).
		{"gbk sample", "=?GBK?B?1cXOsA==?=", "张伟"},
		{"gb18030 sample", "=?gb18030?B?s8LP/vap?=", "陈晓雯"},
		{"gbk", bWord(t, simplifiedchinese.GBK, "GBK", "退款还没到账"), "退款还没到账"},
		{"gb2312", bWord(t, simplifiedchinese.GBK, "gb2312", "发票抬头"), "发票抬头"},
		{"gb18030 four-byte", bWord(t, simplifiedchinese.GB18030, "GB18030", "¥1,299 €"), "¥1,299 €"},
		{"big5", bWord(t, traditionalchinese.Big5, "big5", "耳機沒有聲音"), "耳機沒有聲音"},
		{"euc-cn", bWord(t, simplifiedchinese.GBK, "euc-cn", "申请换货"), "申请换货"},
		{"EUC-CN upper case", bWord(t, simplifiedchinese.GBK, "EUC-CN", "申请换货"), "申请换货"},
		{"q encoding with underscore", "=?utf-8?Q?Packworld_=E5=8C=85=E6=9D=90=E7=BD=91?=", "Packworld 包材网"},
		{"language suffix", "=?utf-8*zh-cn?B?5byg5Lyf?=", "张伟"},
		{"text around words keeps its spaces", "Re: [#T-000742] =?UTF-8?B?6YCA6LSn55Sz6K+3?= ok", "Re: [#T-000742] 退货申请 ok"},
		{"space between words dropped", "=?utf-8?B?5bqK?= \r\n =?utf-8?B?5Z6r?=", "床垫"},
		{"unknown charset read as utf-8", "=?x-klingon?B?5Z6r?=", "垫"},
		{"bad base64 stays", "=?utf-8?B?*?=", "=?utf-8?B?*?="},
		{"control characters dropped", "=?utf-8?Q?a=00b=09c?=", "ab c"},
		{"no words", "plain subject", "plain subject"},
		{"raw GBK bytes in a header", string([]byte{0xd5, 0xc5, 0xce, 0xb0}), "张伟"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decodeWords(tt.in); got != tt.want {
				t.Errorf("decodeWords(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// A character split across two encoded-words (encoders that cut base64 at
// a byte count) must decode whole, in decodeWords and in address names.
func TestDecodeWordsSplitCharacter(t *testing.T) {
	gbk, _ := simplifiedchinese.GBK.NewEncoder().Bytes([]byte("张伟"))
	in := "=?GBK?B?" + base64.StdEncoding.EncodeToString(gbk[:3]) + "?= =?GBK?B?" + base64.StdEncoding.EncodeToString(gbk[3:]) + "?="
	if got := decodeWords(in); got != "张伟" {
		t.Errorf("decodeWords = %q, want 张伟", got)
	}
	addr, name, ok := parseAddress(in + " <zw@example.com>")
	if addr != "zw@example.com" || name != "张伟" || !ok {
		t.Errorf("parseAddress = %q %q %v", addr, name, ok)
	}
}

func TestParseAddress(t *testing.T) {
	tests := []struct {
		in, addr, name string
		ok             bool
	}{
		{`"=?GBK?B?1cXOsA==?=" <ZhangWei1988@Foxmail.com>`, "zhangwei1988@foxmail.com", "张伟", true},
		{`=?UTF-8?Q?Zo=C3=AB?= Lambert <zoe@lanting-design.example>`, "zoe@lanting-design.example", "Zoë Lambert", true},
		{`MAILER-DAEMON@mail.shop.example.com (Mail Delivery System)`, "mailer-daemon@mail.shop.example.com", "Mail Delivery System", true},
		{`support@shop.example.com`, "support@shop.example.com", "", true},
		{bWord(t, traditionalchinese.Big5, "big5", "何家豪") + " <kh@example.hk>", "kh@example.hk", "何家豪", true},
		{"", "", "", true},
		// Malformed: best effort.
		{`=?x-unknown?B?5byg5Lyf?= <a@b.example>`, "a@b.example", "张伟", false},
		{`"unterminated <x@y.example>`, "x@y.example", "unterminated", false},
		{`Broken [ <Who@Where.example>`, "who@where.example", "Broken [", false},
		{`no address at all`, "", "", false},
	}
	for _, tt := range tests {
		addr, name, ok := parseAddress(tt.in)
		if addr != tt.addr || name != tt.name || ok != tt.ok {
			t.Errorf("parseAddress(%q) = %q, %q, %v; want %q, %q, %v", tt.in, addr, name, ok, tt.addr, tt.name, tt.ok)
		}
	}
}

func TestParseMsgIDs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"<t-000245.m-1@shop.example.com>\r\n <t-000245.m-4@shop.example.com>", []string{"t-000245.m-1@shop.example.com", "t-000245.m-4@shop.example.com"}},
		{"<a@b> (comment) <c@d>", []string{"a@b", "c@d"}},
		{"<a@b>\t <\r\n c@d>", []string{"a@b", "c@d"}},
		{"a@b, c@d", []string{"a@b", "c@d"}},
		{"", nil},
		{"<>", nil},
	}
	for _, tt := range tests {
		if got := parseMsgIDs(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseMsgIDs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseParamHeader(t *testing.T) {
	gbkName, _ := simplifiedchinese.GBK.NewEncoder().Bytes([]byte("发票.pdf"))
	pct := ""
	for _, c := range gbkName {
		pct += "%" + string("0123456789ABCDEF"[c>>4]) + string("0123456789ABCDEF"[c&15])
	}
	tests := []struct {
		name, in, value string
		params          map[string]string
	}{
		{"plain", `text/plain; charset="GBK"; format=flowed`, "text/plain", map[string]string{"charset": "GBK", "format": "flowed"}},
		{"encoded-word in quoted name", `image/png; name="=?UTF-8?B?6YCA6LSn55Sz6K+3LnBuZw==?="`, "image/png", map[string]string{"name": "退货申请.png"}},
		{"rfc 2231 utf-8", `attachment; filename*=UTF-8''%E9%80%80%E8%B4%A7.pdf`, "attachment", map[string]string{"filename": "退货.pdf"}},
		{"rfc 2231 gbk", `attachment; filename*=gbk''` + pct, "attachment", map[string]string{"filename": "发票.pdf"}},
		{"rfc 2231 continuation", `attachment; filename*0*=utf-8''%E9%80%80%E8%B4%A7; filename*1*=%E7%94%B3%E8%AF%B7; filename*2=".pdf"`, "attachment", map[string]string{"filename": "退货申请.pdf"}},
		{"plain continuation", `attachment; filename*0="long-"; filename*1="name.txt"`, "attachment", map[string]string{"filename": "long-name.txt"}},
		{"extended wins over plain", `attachment; filename="fallback.pdf"; filename*=utf-8''real.pdf`, "attachment", map[string]string{"filename": "real.pdf"}},
		{"unquoted value with spaces", `attachment; filename=my invoice.pdf`, "attachment", map[string]string{"filename": "my invoice.pdf"}},
		{"quoted semicolon and escapes", `attachment; filename="a;b \"c\".txt"; size=12`, "attachment", map[string]string{"filename": `a;b "c".txt`, "size": "12"}},
		{"junk and duplicates", `Text/HTML;; charset=utf-8; junk; charset=gbk;`, "text/html", map[string]string{"charset": "utf-8"}},
		{"empty", ``, "", map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			value, params := parseParamHeader(tt.in)
			if value != tt.value || !reflect.DeepEqual(params, tt.params) {
				t.Errorf("parseParamHeader(%q) = %q %q, want %q %q", tt.in, value, params, tt.value, tt.params)
			}
		})
	}
}
