package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Headers of a signed request.
const (
	// HeaderDelivery carries the delivery id, stable across attempts, as
	// does Idempotency-Key.
	HeaderDelivery = "X-Loopdesk-Delivery"
	// HeaderTimestamp carries the Unix time, in seconds, the request was signed at.
	HeaderTimestamp = "X-Loopdesk-Timestamp"
	// HeaderSignature carries "v1=" and the hex HMAC-SHA256 of timestamp + "." + body.
	HeaderSignature = "X-Loopdesk-Signature"
)

// DefaultTolerance is how far a timestamp may be from the receiver's clock
// when Verify is given no tolerance.
const DefaultTolerance = 5 * time.Minute

// ErrSignature is wrapped by every error Verify returns.
var ErrSignature = errors.New("invalid callback signature")

// version prefixes every signature value; another scheme gets another prefix.
const version = "v1="

// Sign returns the X-Loopdesk-Signature value for body sent at timestamp
// (Unix seconds, as in X-Loopdesk-Timestamp): "v1=" followed by the hex
// HMAC-SHA256 with key secret of timestamp + "." + body.
func Sign(secret, timestamp string, body []byte) string {
	return version + hex.EncodeToString(mac(secret, timestamp, body))
}

func mac(secret, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a signed request as a receiver gets it: timestamp is the
// X-Loopdesk-Timestamp value, header the X-Loopdesk-Signature value (several
// header lines joined with commas), body the raw request body. The timestamp
// must be within tolerance of now, in either direction (DefaultTolerance when
// tolerance ≤ 0), and one of the comma-separated signatures must be the "v1="
// HMAC of timestamp + "." + body under secret, compared in constant time.
// Errors wrap ErrSignature and never contain the secret.
func Verify(secret string, timestamp, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if secret == "" {
		return fmt.Errorf("%w: no secret to verify with", ErrSignature)
	}
	if err := checkTimestamp(timestamp, now, tolerance); err != nil {
		return err
	}
	if strings.TrimSpace(header) == "" {
		return fmt.Errorf("%w: %s is missing", ErrSignature, HeaderSignature)
	}
	want := mac(secret, timestamp, body)
	matched := false
	for s := range strings.SplitSeq(header, ",") {
		hexSig, ok := strings.CutPrefix(strings.TrimSpace(s), version)
		if !ok {
			continue
		}
		got, err := hex.DecodeString(hexSig)
		// Every candidate is compared, so timing says nothing about which matched.
		if err == nil && hmac.Equal(got, want) {
			matched = true
		}
	}
	if !matched {
		return fmt.Errorf("%w: no v1 signature matches the body", ErrSignature)
	}
	return nil
}

// checkTimestamp rejects a timestamp that is missing, malformed or outside
// tolerance of now.
func checkTimestamp(timestamp string, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if timestamp == "" {
		return fmt.Errorf("%w: %s is missing", ErrSignature, HeaderTimestamp)
	}
	secs, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s is not Unix seconds", ErrSignature, HeaderTimestamp)
	}
	// Bounds around now rather than a difference, which could overflow for
	// a timestamp near the ends of int64.
	nowSecs, tol := now.Unix(), int64(tolerance/time.Second)
	if secs < nowSecs-tol || secs > nowSecs+tol {
		return fmt.Errorf("%w: timestamp is %ds away from now, beyond the tolerance of %s",
			ErrSignature, skew(nowSecs, secs), tolerance)
	}
	return nil
}

// skew is nowSecs - secs, saturated so it cannot overflow.
func skew(nowSecs, secs int64) int64 {
	d := nowSecs - secs
	if (secs < 0 && d < nowSecs) || (secs > 0 && d > nowSecs) {
		if secs < 0 {
			return 1<<63 - 1
		}
		return -1 << 63
	}
	return d
}
