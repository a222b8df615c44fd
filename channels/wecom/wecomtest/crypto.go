package wecomtest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// blockSize is the PKCS#7 block WXBizMsgCrypt pads to: 32 bytes, not the
// 16-byte AES block.
const blockSize = 32

// cryptor seals and opens callback payloads the way WXBizMsgCrypt does
// (doc 91144): AES-256-CBC with key = base64(EncodingAESKey+"="),
// IV = key[:16], plaintext = random(16) ‖ uint32 big-endian len ‖ msg ‖ receiveid.
type cryptor struct {
	token     string
	key       []byte
	receiveID string
}

func newCryptor(token, encodingAESKey, receiveID string) (*cryptor, error) {
	if len(encodingAESKey) != 43 {
		return nil, fmt.Errorf("EncodingAESKey must be 43 characters, got %d", len(encodingAESKey))
	}
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil {
		return nil, fmt.Errorf("decode EncodingAESKey: %w", err)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("EncodingAESKey decodes to %d bytes, want 32", len(key))
	}
	return &cryptor{token: token, key: key, receiveID: receiveID}, nil
}

// encrypt seals msg with a fresh random prefix and returns the base64 text
// that goes into <Encrypt> or echostr.
func (c *cryptor) encrypt(msg []byte) string {
	random := make([]byte, 16)
	_, _ = rand.Read(random) // crypto/rand.Read never fails
	return c.encryptWith(random, msg)
}

func (c *cryptor) encryptWith(random, msg []byte) string {
	plain := make([]byte, 0, 20+len(msg)+len(c.receiveID)+blockSize)
	plain = append(plain, random...)
	plain = binary.BigEndian.AppendUint32(plain, uint32(len(msg)))
	plain = append(plain, msg...)
	plain = append(plain, c.receiveID...)
	pad := blockSize - len(plain)%blockSize
	plain = append(plain, bytes.Repeat([]byte{byte(pad)}, pad)...)

	block, err := aes.NewCipher(c.key)
	if err != nil {
		panic(err) // the key length was checked in newCryptor
	}
	out := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, c.key[:aes.BlockSize]).CryptBlocks(out, plain)
	return base64.StdEncoding.EncodeToString(out)
}

// decrypt opens a base64 <Encrypt> or echostr and checks that the sealed
// receiveid is ours.
func (c *cryptor) decrypt(encrypted string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil {
		return nil, fmt.Errorf("decode ciphertext: %w", err)
	}
	if len(raw) == 0 || len(raw)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("ciphertext length %d is not a multiple of the AES block", len(raw))
	}
	block, err := aes.NewCipher(c.key)
	if err != nil {
		return nil, err
	}
	plain := make([]byte, len(raw))
	cipher.NewCBCDecrypter(block, c.key[:aes.BlockSize]).CryptBlocks(plain, raw)

	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > blockSize || pad > len(plain) {
		return nil, fmt.Errorf("bad PKCS#7 padding %d", pad)
	}
	plain = plain[:len(plain)-pad]
	if len(plain) < 20 {
		return nil, errors.New("plaintext shorter than its 20-byte header")
	}
	n := binary.BigEndian.Uint32(plain[16:20])
	if uint64(n) > uint64(len(plain)-20) {
		return nil, fmt.Errorf("message length %d exceeds plaintext", n)
	}
	msg, rid := plain[20:20+n], plain[20+n:]
	if string(rid) != c.receiveID {
		return nil, fmt.Errorf("receiveid %q, want %q", rid, c.receiveID)
	}
	return msg, nil
}

// sign is msg_signature for this cryptor's token.
func (c *cryptor) sign(timestamp, nonce, encrypted string) string {
	return signature(c.token, timestamp, nonce, encrypted)
}

// signature is hex(sha1(concat(sort(token, timestamp, nonce, encrypt)))),
// lowercase, as used for both the echostr check and POST bodies.
func signature(token, timestamp, nonce, encrypted string) string {
	parts := []string{token, timestamp, nonce, encrypted}
	sort.Strings(parts)
	sum := sha1.Sum([]byte(strings.Join(parts, "")))
	return hex.EncodeToString(sum[:])
}
