package wecom

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/silenceper/wechat/v2/util"
)

// errForged: a callback whose signature, ciphertext or receiver id does
// not check out. Answered 401; nothing it carries is used.
var errForged = errors.New("wecom callback: bad signature or ciphertext")

// crypter checks and opens WeCom callbacks (WXBizMsgCrypt, docs path 91144).
type crypter struct {
	token     string
	aesKey    string // the EncodingAESKey as configured (43 characters)
	receiveID string // the CorpID for app and kf callbacks
}

func newCrypter(token, aesKey, receiveID string) (crypter, error) {
	key, err := base64.StdEncoding.DecodeString(aesKey + "=")
	if len(aesKey) != 43 || err != nil || len(key) != 32 {
		return crypter{}, fmt.Errorf("wecom: aes_key must be the 43-character EncodingAESKey")
	}
	if token == "" || receiveID == "" {
		return crypter{}, fmt.Errorf("wecom: token and corp_id are required")
	}
	return crypter{token: token, aesKey: aesKey, receiveID: receiveID}, nil
}

// open verifies msg_signature over encrypted and decrypts it, checking
// that it was sealed for our receiver id.
func (c crypter) open(signature, timestamp, nonce, encrypted string) ([]byte, error) {
	want := sign(c.token, timestamp, nonce, encrypted)
	if subtle.ConstantTimeCompare([]byte(want), []byte(signature)) != 1 {
		return nil, errForged
	}
	_, plain, err := util.DecryptMsg(c.receiveID, encrypted, c.aesKey)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errForged, err)
	}
	return plain, nil
}

// sign computes msg_signature (also the double's and the tests' way to
// sign what they send).
func sign(token, timestamp, nonce, encrypted string) string {
	return util.Signature(token, timestamp, nonce, encrypted)
}
