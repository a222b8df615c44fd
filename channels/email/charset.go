package email

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// registerCharsets adds the charset names Chinese mail uses that the
// go-message charset tables lack. go-message keeps its table in a plain
// package map, so this is the one piece of shared state the reader touches:
// it registers once, before the first message is decoded, and never again.
//
// euc-cn is GB2312 under its Unix name (old Foxmail, mutt, some PHP mailers);
// it is decoded as GBK, the superset every Chinese client actually writes.
var registerCharsets = sync.OnceFunc(func() {
	charset.RegisterEncoding("euc-cn", simplifiedchinese.GBK)
	charset.RegisterEncoding("x-euc-cn", simplifiedchinese.GBK)
})

// decodeCharset converts data in the named charset to UTF-8.
//
// It never fails: an unknown or missing charset, or bytes that are not valid
// in the declared one, fall back to UTF-8 when the bytes are valid UTF-8 and
// to GB18030 otherwise (mislabelled mail here is overwhelmingly Chinese:
// GBK sent as "us-ascii" or without a charset). ok is false when the
// declared charset could not be used as it stands.
func decodeCharset(data []byte, name string) (text string, ok bool) {
	name = strings.ToLower(strings.Trim(strings.TrimSpace(name), `"'`))
	switch name {
	case "", "us-ascii", "ascii", "utf-8", "utf8":
		if utf8.Valid(data) {
			return string(data), true
		}
		// A declared or default ASCII/UTF-8 part with 8-bit bytes that are
		// not UTF-8: a client that wrote its local charset without saying so.
		return fallbackDecode(data), name == ""
	}
	r, err := charsetReader(name, bytes.NewReader(data))
	if err != nil {
		return fallbackDecode(data), false
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return fallbackDecode(data), false
	}
	return string(out), true
}

// charsetReader is charset.Reader with the reader's own names registered:
// every charset conversion of this package goes through it.
func charsetReader(name string, input io.Reader) (io.Reader, error) {
	registerCharsets()
	return charset.Reader(name, input)
}

// fallbackDecode reads bytes whose charset is unknown: as UTF-8 when they
// are valid UTF-8, else as GB18030, else with invalid bytes replaced.
func fallbackDecode(data []byte) string {
	if utf8.Valid(data) {
		return string(data)
	}
	if out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data); err == nil && utf8.Valid(out) {
		return string(out)
	}
	return strings.ToValidUTF8(string(data), "\uFFFD")
}
