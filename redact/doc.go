// Package redact masks personal data — mobile phone numbers, email
// addresses, ID-card numbers and people's ids — before text leaves loopdesk's
// hands: in logs (NewHandler wraps any slog.Handler) and, later, in requests
// to an LLM.
//
// It imports only the standard library.
package redact
