package wecomtest

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/silenceper/wechat/v2/util"
)

// Tencent's weworkapi sample parameters and vectors (PROTOCOLS.md §1).
const (
	sampleToken  = "QDG6eK"
	sampleKey    = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	sampleCorpID = "wx5823bf96d3bd56c7"
)

func sampleCryptor(t *testing.T) *cryptor {
	t.Helper()
	c, err := newCryptor(sampleToken, sampleKey, sampleCorpID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestOfficialVectors(t *testing.T) {
	c := sampleCryptor(t)
	for _, v := range []struct {
		name, ts, nonce, sig, encrypt string
		want                          string
	}{
		{
			name: "V1 VerifyURL", ts: "1409659589", nonce: "263014780",
			sig:     "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
			encrypt: "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==",
			want:    "1616140317555161061",
		},
		{
			name: "V2 XML POST", ts: "1409659813", nonce: "1372623149",
			sig:     "477715d11cdb4164915debcba66cb864d751f3e6",
			encrypt: "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==",
			want:    "<MsgId>4561255354251345929</MsgId>",
		},
		{
			name: "V3 JSON POST", ts: "1409659813", nonce: "1372623149",
			sig:     "0623cbc5a8cbee5bcc137c70de99575366fc2af3",
			encrypt: "CZWs4CWRpI4VolQlvn4dlEC1alN2MUEY2VklGehgBVLBrlVF7SyT+SV+Toj43l4ayJ9UMGKphktKKmP7B2j/P1ey67XB8PBgS7Wr5/8+w/yWriZv3Vmoo/MH3/1HsIWZrPQ3N2mJrelStIfI2Y8kLKXA7EhfZgZX4o+ffdkZDM76SEl79Ib9mw7TGjZ9Aw/x/A2VjNbV1E8BtEbRxYYcQippYNw7hr8sFfa3nW1xLdxokt8QkRX83vK3DFP2F6TQFPL2Tu98UwhcUpPvdJBuu1/yiOQIScppV3eOuLWEsko=",
			want:    `"MsgId":4561255354251345929`,
		},
	} {
		t.Run(v.name, func(t *testing.T) {
			if got := c.sign(v.ts, v.nonce, v.encrypt); got != v.sig {
				t.Errorf("signature %s, want %s", got, v.sig)
			}
			msg, err := c.decrypt(v.encrypt)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(msg), v.want) {
				t.Errorf("plaintext %q does not contain %q", msg, v.want)
			}
			if v.name == "V1 VerifyURL" && string(msg) != v.want {
				t.Errorf("echostr %q, want %q", msg, v.want)
			}
		})
	}
}

// TestEncryptCrossCheck seals with the double and opens with
// silenceper/wechat, and the reverse.
func TestEncryptCrossCheck(t *testing.T) {
	c := sampleCryptor(t)
	for _, msg := range []string{"", "x", strings.Repeat("a", 31), strings.Repeat("b", 32), "<xml><Content><![CDATA[你好]]></Content></xml>"} {
		enc := c.encrypt([]byte(msg))
		_, got, err := util.DecryptMsg(sampleCorpID, enc, sampleKey)
		if err != nil {
			t.Fatalf("silenceper cannot open %q: %v", msg, err)
		}
		if string(got) != msg {
			t.Errorf("silenceper opened %q, want %q", got, msg)
		}

		theirs, err := util.EncryptMsg([]byte("0123456789abcdef"), []byte(msg), sampleCorpID, sampleKey)
		if err != nil {
			t.Fatal(err)
		}
		mine, err := c.decrypt(string(theirs))
		if err != nil || string(mine) != msg {
			t.Errorf("double opened silenceper's %q as %q, %v", msg, mine, err)
		}
		if ours := c.encryptWith([]byte("0123456789abcdef"), []byte(msg)); ours != string(theirs) {
			t.Errorf("same random, different ciphertext for %q", msg)
		}
	}
	for _, sig := range [][4]string{{sampleToken, "1409659813", "1372623149", "abc"}, {sampleToken, "1", "2", "ZZZ+/="}} {
		if got, want := signature(sig[0], sig[1], sig[2], sig[3]), util.Signature(sig[:]...); got != want {
			t.Errorf("signature %s, silenceper %s", got, want)
		}
	}
}

func TestDecryptRejects(t *testing.T) {
	c := sampleCryptor(t)
	other, err := newCryptor(sampleToken, sampleKey, "wwsomeoneelse")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.decrypt(other.encrypt([]byte("hi"))); err == nil {
		t.Error("decrypted a message sealed for another receiveid")
	}
	if _, err := c.decrypt("not base64!"); err == nil {
		t.Error("decrypted garbage")
	}
	if _, err := newCryptor("t", "short", "x"); err == nil {
		t.Error("accepted a short EncodingAESKey")
	}
	// Padding is to 32-byte blocks, not AES's 16.
	enc := c.encryptWith(bytes.Repeat([]byte{0}, 16), []byte("x"))
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(raw); n%32 != 0 {
		t.Errorf("ciphertext of %d bytes is not 32-byte aligned", n)
	}
}
