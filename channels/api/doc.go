// Package api is the generic HTTP/JSON channel: APP backends, web forms,
// web chat and phone systems post customer messages to loopdesk and read the
// conversation back, and loopdesk posts its replies to their callback URL.
//
// # Inbound
//
// POST /api/v1/channels/api/messages with "Authorization: Bearer <token>" and
// an InboundMessage body. The answer is 202 {"message_id", "duplicate"} once
// the message is durably stored; external_id is the idempotency key, so a
// client that got no answer simply posts the same body again. A 503 with
// Retry-After means nothing was stored and the client should retry; a 4xx
// means the request itself is wrong and retrying it will not help.
//
// GET /api/v1/conversations/{thread}/messages answers the thread's messages,
// inbound and outbound, oldest first. Without a callback URL this is how an
// integrator reads loopdesk's replies.
//
// # Callbacks
//
// With Config.CallbackURL set, every outbound message is a POST of a Callback
// as JSON to that URL with these headers:
//
//	Content-Type: application/json
//	X-Loopdesk-Delivery: <Callback.ID>
//	Idempotency-Key: <Callback.ID>
//	X-Loopdesk-Timestamp: <unix seconds>
//	X-Loopdesk-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//
// The secret is Config.CallbackSecret, or the channel token when that is
// empty. Delivery is at least once: the same Callback.ID may arrive again
// (with a higher attempt), and the receiver should treat a repeat as done.
//
// A receiver verifies a callback before it trusts it:
//
//  1. Read the raw body exactly as received; do not re-encode the JSON, the
//     signature covers the bytes.
//  2. Call Verify(secret, r.Header, body, time.Now(), 5*time.Minute). It checks
//     that X-Loopdesk-Timestamp is within the tolerance of now (so a captured
//     request cannot be replayed later) and that X-Loopdesk-Signature matches,
//     comparing in constant time. Receivers in other languages compute the
//     same HMAC over timestamp + "." + body and compare it in constant time.
//  3. Answer 2xx once the message is handled or stored. 429 or 503 with
//     Retry-After, 408, 425 and other 5xx make loopdesk retry later; any other
//     4xx marks the delivery failed for good. Redirects are not followed.
//
// The package imports only the channels contract, internal/httpjson,
// internal/httpanswer, internal/signature and the standard library; it
// never imports another channel or the ticket core.
package api
