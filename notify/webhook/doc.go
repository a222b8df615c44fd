// Package webhook is the generic webhook notifier: each notice is a signed
// JSON POST to one URL, which is how loopdesk reaches SMS gateways, on-call
// tools and anything else that takes an HTTP request.
//
// # Wire format
//
// Every notice is a POST of a Payload as JSON to Config.URL:
//
//	{"id":"O-000077","kind":"page","ticket_id":"T-000123","subject":"…","text":"…",
//	 "priority":"urgent","group":"after_sales","to":{"agent":"agent-7","address":"+8613800138000"},
//	 "urgent":true,"attempt":1,"created_at":"2026-01-01T00:00:00Z"}
//
// with these headers:
//
//	Content-Type: application/json
//	Idempotency-Key: <id>
//	X-Loopdesk-Delivery: <id>
//	X-Loopdesk-Timestamp: <unix seconds>
//	X-Loopdesk-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>  (only with Config.Secret)
//
// The signature is the one API channel callbacks carry, so a receiver checks
// it the same way: read the raw body, require the timestamp within a few
// minutes of now, and compare the HMAC in constant time (channels/api.Verify
// does exactly that in Go).
//
// Delivery is at least once: the same id may arrive again with a higher
// attempt, and the receiver should treat a repeat as done. Answer 2xx once
// the notice is accepted; 429 or 503 with Retry-After, 408, 425, other 5xx
// and network errors make loopdesk retry later; any other answer (other
// 4xx, and 3xx, since redirects are not followed) fails the delivery for good.
//
// It imports only the notify and channels contracts, internal/signature, internal/httpanswer and
// the standard library.
package webhook
