package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/loopdesk/loopdesk/internal/signature"
)

// Headers of a callback request.
const (
	// HeaderDelivery carries Callback.ID, as does Idempotency-Key.
	HeaderDelivery = signature.HeaderDelivery
	// HeaderTimestamp carries the Unix time, in seconds, the callback was signed at.
	HeaderTimestamp = signature.HeaderTimestamp
	// HeaderSignature carries "v1=" and the hex HMAC-SHA256 of timestamp + "." + body.
	HeaderSignature = signature.HeaderSignature
)

// DefaultTolerance is how far a callback's timestamp may be from the
// receiver's clock when Verify is given no tolerance.
const DefaultTolerance = signature.DefaultTolerance

// ErrSignature is wrapped by every error Verify returns. It is the same
// value as loopdesk's webhook notifications use, so one check covers both.
var ErrSignature = signature.ErrSignature

// Sign returns the X-Loopdesk-Signature value for body sent at timestamp
// (Unix seconds, as in X-Loopdesk-Timestamp): "v1=" followed by the hex
// HMAC-SHA256 with key secret of timestamp + "." + body.
func Sign(secret string, timestamp string, body []byte) string {
	return signature.Sign(secret, timestamp, body)
}

// Verify checks a callback as a receiver gets it: header holds
// X-Loopdesk-Timestamp and X-Loopdesk-Signature, body is the raw request body.
// The timestamp must be within tolerance of now, in either direction
// (DefaultTolerance when tolerance ≤ 0), and one of the comma-separated
// signatures must be the "v1=" HMAC of timestamp + "." + body under secret,
// compared in constant time. Errors wrap ErrSignature and never contain the
// secret.
func Verify(secret string, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	// Several header lines count as one comma-separated list (RFC 9110 §5.3).
	sigs := strings.Join(header.Values(HeaderSignature), ",")
	return signature.Verify(secret, header.Get(HeaderTimestamp), sigs, body, now, tolerance)
}
