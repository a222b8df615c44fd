package wecom

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/loopdesk/loopdesk/internal/httpjson"
)

// maxCallbackBody bounds a callback body: WeCom's are a few hundred bytes
// (kf callbacks carry no content, app messages at most 2,048 bytes of text).
const maxCallbackBody = 64 << 10

// envelope is the outer XML of an encrypted callback.
type envelope struct {
	ToUserName string `xml:"ToUserName"`
	Encrypt    string `xml:"Encrypt"`
	AgentID    string `xml:"AgentID"`
}

// callback serves one WeCom callback URL: GET is the URL check (echo the
// decrypted echostr), POST an encrypted event handed to handle as plain
// XML. handle runs before the answer and must be quick (WeCom retries
// after 5 s); an error from it answers 500, so WeCom tries again.
type callback struct {
	crypt  crypter
	log    *slog.Logger
	now    func() time.Time
	handle func(r *http.Request, plain []byte) error
}

// maxSkew is how far a callback's timestamp may be from now. A signed
// callback captured and sent again later would otherwise act again once
// its id is forgotten (seenTTL); an hour is well inside that, and far
// above WeCom's retries and ordinary clock drift.
const maxSkew = time.Hour

// fresh reports whether timestamp (Unix seconds) is within maxSkew of now.
func (cb callback) fresh(timestamp string) bool {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return false
	}
	d := cb.now().Sub(time.Unix(ts, 0))
	return d <= maxSkew && d >= -maxSkew
}

func (cb callback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sig, ts, nonce := q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce")
	if (r.Method == http.MethodGet || r.Method == http.MethodPost) && !cb.fresh(ts) {
		cb.refuse(w, r, fmt.Errorf("timestamp %q is more than %v from now: a replay, or this host's clock is wrong", ts, maxSkew))
		return
	}
	switch r.Method {
	case http.MethodGet:
		plain, err := cb.crypt.open(sig, ts, nonce, q.Get("echostr"))
		if err != nil {
			cb.refuse(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write(plain)
	case http.MethodPost:
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCallbackBody))
		if err != nil {
			httpjson.WriteError(w, httpjson.Errorf(http.StatusRequestEntityTooLarge, "body_too_large", "a WeCom callback is at most 64 KiB"))
			return
		}
		var env envelope
		if err := decode(body, &env); err != nil || env.Encrypt == "" {
			httpjson.WriteError(w, httpjson.Errorf(http.StatusBadRequest, "malformed_callback", "the body is not a WeCom callback envelope"))
			return
		}
		plain, err := cb.crypt.open(sig, ts, nonce, env.Encrypt)
		if err != nil {
			cb.refuse(w, r, err)
			return
		}
		if err := cb.handle(r, plain); err != nil {
			var bad badCallback
			if errors.As(err, &bad) {
				httpjson.WriteError(w, httpjson.Errorf(http.StatusBadRequest, "malformed_callback", "%s", bad.Error()))
				return
			}
			cb.log.Error("handle callback; WeCom will retry", "err", err)
			httpjson.WriteError(w, httpjson.Errorf(http.StatusInternalServerError, "internal", "the callback could not be handled; retry"))
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "success")
	default:
		w.Header().Set("Allow", "GET, POST")
		httpjson.WriteError(w, httpjson.Errorf(http.StatusMethodNotAllowed, "method_not_allowed", "use GET (URL check) or POST (events)"))
	}
}

func (cb callback) refuse(w http.ResponseWriter, r *http.Request, err error) {
	cb.log.Warn("refused a WeCom callback", "path", r.URL.Path, "remote", r.RemoteAddr, "err", err)
	httpjson.WriteError(w, httpjson.Errorf(http.StatusUnauthorized, "bad_signature", "the callback's signature or ciphertext does not check out"))
}

// badCallback is a verified callback whose content is unusable: a 400,
// since WeCom sending it again would not help.
type badCallback struct{ msg string }

func (b badCallback) Error() string { return b.msg }
