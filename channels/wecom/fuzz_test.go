package wecom

import (
	"bytes"
	"testing"

	"github.com/silenceper/wechat/v2/util"
)

// Official WXBizMsgCrypt sample values (PROTOCOLS.md §1).
const (
	vecToken   = "QDG6eK"
	vecAESKey  = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	vecCorpID  = "wx5823bf96d3bd56c7"
	vecV1TS    = "1409659589"
	vecV1Nonce = "263014780"
	vecV1Echo  = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
	vecV1Sig   = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"
	vecTS      = "1409659813"
	vecNonce   = "1372623149"
	vecV2Sig   = "477715d11cdb4164915debcba66cb864d751f3e6"
	vecV2Enc   = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
	vecV3Sig   = "0623cbc5a8cbee5bcc137c70de99575366fc2af3"
	vecV3Enc   = "CZWs4CWRpI4VolQlvn4dlEC1alN2MUEY2VklGehgBVLBrlVF7SyT+SV+Toj43l4ayJ9UMGKphktKKmP7B2j/P1ey67XB8PBgS7Wr5/8+w/yWriZv3Vmoo/MH3/1HsIWZrPQ3N2mJrelStIfI2Y8kLKXA7EhfZgZX4o+ffdkZDM76SEl79Ib9mw7TGjZ9Aw/x/A2VjNbV1E8BtEbRxYYcQippYNw7hr8sFfa3nW1xLdxokt8QkRX83vK3DFP2F6TQFPL2Tu98UwhcUpPvdJBuu1/yiOQIScppV3eOuLWEsko="
)

// FuzzOpen holds two properties over arbitrary input: an arbitrary
// ciphertext (signed, so it reaches the AES and unpadding code) never
// panics, and a message sealed the WXBizMsgCrypt way (by the library's
// encryption, not ours) opens to exactly itself when sealed for our corp
// id and never when sealed for another.
func FuzzOpen(f *testing.F) {
	f.Add(vecV1Echo, []byte("1616140317555161061"))
	f.Add(vecV2Enc, []byte("<xml><Content><![CDATA[hello]]></Content></xml>"))
	f.Add(vecV3Enc, []byte(`{"Content":"你好"}`))
	f.Add("", []byte{})
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", []byte{0, 1, 2, 255})
	c, err := newCrypter(vecToken, vecAESKey, vecCorpID)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, enc string, plain []byte) {
		if got, err := c.open(sign(vecToken, vecTS, vecNonce, enc), vecTS, vecNonce, enc); err == nil && got == nil {
			t.Fatal("opened to nothing without an error")
		}
		random := []byte("0123456789abcdef")
		for _, corp := range []string{vecCorpID, "wx0000000000000000"} {
			sealed, err := util.EncryptMsg(random, plain, corp, vecAESKey)
			if err != nil {
				t.Fatal(err)
			}
			enc := string(sealed) // base64 already
			got, err := c.open(sign(vecToken, vecTS, vecNonce, enc), vecTS, vecNonce, enc)
			if mine := corp == vecCorpID; mine != (err == nil) || mine && !bytes.Equal(got, plain) {
				t.Fatalf("sealed for %s: opened %q, %v", corp, got, err)
			}
		}
	})
}

// FuzzDecode feeds arbitrary documents to the callback readers (XML and
// JSON): nothing panics.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><FromUserName><![CDATA[mycreate]]></FromUserName><CreateTime>1409659813</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hello]]></Content><MsgId>4561255354251345929</MsgId><AgentID>218</AgentID></xml>`))
	f.Add([]byte(`{"ToUserName":"wx5823bf96d3bd56c7","FromUserName":"mycreate","CreateTime": 1409659813,"MsgType":"text","Content":"hello","MsgId":4561255354251345929,"AgentID": 218}`))
	f.Add([]byte(`<xml><ToUserName>ww</ToUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>kf_msg_or_event</Event><Token>ENC</Token><OpenKfId>wk1</OpenKfId></xml>`))
	f.Add([]byte(`{"CreateTime": 1e99, "MsgId": [1]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		var m appMessage
		_ = decode(doc, &m)
		var ev kfCallbackEvent
		_ = decode(doc, &ev)
		var env envelope
		_ = decode(doc, &env)
		_ = parseCommand(string(bytes.ToValidUTF8(doc, nil)))
	})
}

// BenchmarkOpenCallback measures what every callback costs before any
// work: the signature check, the decryption and reading the XML.
func BenchmarkOpenCallback(b *testing.B) {
	c, err := newCrypter(vecToken, vecAESKey, vecCorpID)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		plain, err := c.open(vecV2Sig, vecTS, vecNonce, vecV2Enc)
		if err != nil {
			b.Fatal(err)
		}
		var m appMessage
		if err := decode(plain, &m); err != nil || m.Content != "hello" {
			b.Fatal(err, m)
		}
	}
}
