// Package signature signs and verifies the HTTP requests loopdesk posts to
// integrators: API channel callbacks and webhook notifications. Both carry
// the same headers, so a receiver verifies them with one routine:
//
//	X-Loopdesk-Timestamp: <unix seconds>
//	X-Loopdesk-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//
// Binding the timestamp into the MAC, and rejecting timestamps outside a
// tolerance, keeps a captured request from being replayed later. Several
// comma-separated v1 values are accepted so a secret can be rotated: the
// sender signs with old and new secret while receivers move over.
//
// It imports only the standard library.
package signature
