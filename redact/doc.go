// Package redact masks personal data — mobile phone numbers, email
// addresses, ID-card numbers, bank cards and people's ids — before text
// leaves loopdesk's hands: in logs (NewHandler wraps any slog.Handler, and
// Text masks irreversibly) and in requests to an LLM (Pseudonymize replaces
// values by placeholders and restores them in the answer).
//
// It imports only the standard library.
package redact
