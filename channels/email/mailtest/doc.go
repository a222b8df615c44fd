// Package mailtest starts real mail servers for tests: Dovecot for IMAP
// (and LMTP, and SASL for Postfix) and Postfix for SMTP, from the system
// binaries, in the test's temporary directory, on loopback ports. Mail
// submitted over SMTP goes Postfix → LMTP → Dovecot → a Maildir that
// Mailbox reads directly, so a test sees exactly what an IMAP client would.
//
// The project rule for real peers applies: Start skips the test with a
// message when a binary is missing (or the process is not root, which
// Postfix needs), and fails it instead when LOOPDESK_REQUIRE_INTEGRATION=1,
// as .ci/run sets, so CI can never pass by skipping.
//
// Nothing here is fake and nothing waits by sleeping: Start returns once
// every listener answers, WaitMail polls the Maildir until its condition
// holds or a deadline passes.
//
// The package imports only the standard library; it must not import the
// email channel or anything else in loopdesk, so any package's tests can
// use it.
package mailtest
