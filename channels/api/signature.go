package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers of a callback request.
const (
	// HeaderDelivery carries Callback.ID, as does Idempotency-Key.
	HeaderDelivery = "X-Loopdesk-Delivery"
	// HeaderTimestamp carries the Unix time, in seconds, the callback was signed at.
	HeaderTimestamp = "X-Loopdesk-Timestamp"
	// HeaderSignature carries "v1=" and the hex HMAC-SHA256 of timestamp + "." + body.
	HeaderSignature = "X-Loopdesk-Signature"
)

// DefaultTolerance is how far a callback's timestamp may be from the
// receiver's clock when Verify is given no tolerance.
const DefaultTolerance = 5 * time.Minute

// ErrSignature is wrapped by every error Verify returns.
var ErrSignature = errors.New("invalid callback signature")

const signatureVersion = "v1="

// Sign returns the X-Loopdesk-Signature value for body sent at timestamp
// (Unix seconds, as in X-Loopdesk-Timestamp): "v1=" followed by the hex
// HMAC-SHA256 with key secret of timestamp + "." + body.
func Sign(secret string, timestamp string, body []byte) string {
	return signatureVersion + hex.EncodeToString(mac(secret, timestamp, body))
}

func mac(secret, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a callback as a receiver gets it: header holds
// X-Loopdesk-Timestamp and X-Loopdesk-Signature, body is the raw request body.
// The timestamp must be within tolerance of now, in either direction
// (DefaultTolerance when tolerance ≤ 0), and one of the comma-separated
// signatures must be the "v1=" HMAC of timestamp + "." + body under secret,
// compared in constant time. Errors wrap ErrSignature and never contain the
// secret.
func Verify(secret string, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	if secret == "" {
		return fmt.Errorf("%w: no secret to verify with", ErrSignature)
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	ts := header.Get(HeaderTimestamp)
	if ts == "" {
		return fmt.Errorf("%w: %s is missing", ErrSignature, HeaderTimestamp)
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s is not Unix seconds", ErrSignature, HeaderTimestamp)
	}
	if skew := now.Unix() - secs; skew > int64(tolerance/time.Second) || -skew > int64(tolerance/time.Second) {
		return fmt.Errorf("%w: timestamp is %ds away from now, beyond the tolerance of %s", ErrSignature, skew, tolerance)
	}
	sigs := header.Values(HeaderSignature)
	if len(sigs) == 0 {
		return fmt.Errorf("%w: %s is missing", ErrSignature, HeaderSignature)
	}
	want := mac(secret, ts, body)
	matched := false
	for _, v := range sigs {
		for s := range strings.SplitSeq(v, ",") {
			hexSig, ok := strings.CutPrefix(strings.TrimSpace(s), signatureVersion)
			if !ok {
				continue
			}
			got, err := hex.DecodeString(hexSig)
			// Every candidate is compared, so timing says nothing about which matched.
			if err == nil && hmac.Equal(got, want) {
				matched = true
			}
		}
	}
	if !matched {
		return fmt.Errorf("%w: no v1 signature matches the body", ErrSignature)
	}
	return nil
}
