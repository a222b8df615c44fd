// Package mailtest starts real mail servers for tests: Dovecot for IMAP
// (and LMTP, and SASL for Postfix) and Postfix for SMTP, from the system
// binaries, in the test's temporary directory, on loopback ports. Mail
// submitted over SMTP goes Postfix → LMTP → Dovecot → a Maildir that
// Mailbox reads directly, so a test sees exactly what an IMAP client would.
// Mail to any domain not among the users' is bounced back to its sender.
//
// The project rule for real peers applies: Start skips the test with a
// message when a binary is missing (or the process is not root, which
// Postfix's master needs), and fails it instead when
// LOOPDESK_REQUIRE_INTEGRATION=1, as .ci/run sets, so CI can never pass by
// skipping.
//
// Nothing here is fake and nothing waits by sleeping: Start returns once
// every listener greets, WaitMail polls the Maildir until its condition
// holds or a deadline passes. Each Start is a separate pair of servers, so
// parallel tests do not share mail; one takes a fraction of a second.
//
// Written for Debian's packages (dovecot-imapd and dovecot-lmtpd 2.3,
// postfix 3.x) on Linux. The package imports only the standard library; it
// must not import the email channel or anything else in loopdesk, so any
// package's tests can use it.
package mailtest
