package slack

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

// Slack's documented example (PROTOCOLS.md §4).
const (
	vecSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	vecTS     = "1531420618"
	vecBody   = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	vecSig    = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func vecHeader(ts, sig string) http.Header {
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", ts)
	h.Set("X-Slack-Signature", sig)
	return h
}

func TestVerifyDocumentedVector(t *testing.T) {
	at := time.Unix(1531420618, 0)
	if err := verify(vecSecret, vecHeader(vecTS, vecSig), []byte(vecBody), at); err != nil {
		t.Fatalf("the documented example: %v", err)
	}
	for name, c := range map[string]struct {
		secret, ts, sig, body string
		now                   time.Time
	}{
		"body changed":         {vecSecret, vecTS, vecSig, vecBody + "x", at},
		"wrong secret":         {vecSecret + "0", vecTS, vecSig, vecBody, at},
		"stale timestamp":      {vecSecret, vecTS, vecSig, vecBody, at.Add(5*time.Minute + time.Second)},
		"future timestamp":     {vecSecret, vecTS, vecSig, vecBody, at.Add(-6 * time.Minute)},
		"no timestamp":         {vecSecret, "", vecSig, vecBody, at},
		"signature missing":    {vecSecret, vecTS, "", vecBody, at},
		"signature scheme v1":  {vecSecret, vecTS, "v1" + vecSig[2:], vecBody, at},
		"no secret configured": {"", vecTS, vecSig, vecBody, at},
	} {
		if err := verify(c.secret, vecHeader(c.ts, c.sig), []byte(c.body), c.now); !errors.Is(err, errBadSignature) {
			t.Errorf("%s: %v, want a bad signature", name, err)
		}
	}
}
