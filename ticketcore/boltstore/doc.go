// Package boltstore is the embedded ticketcore.Store: one bbolt file, one
// process. It is the default of a single-machine loopdesk.
//
// Writes go through group commit: concurrent Update calls queue up, a single
// writer goroutine runs every queued fn in one bbolt transaction and commits
// it with one fsync, so durability costs one disk flush per batch rather
// than per call. Claims (leases) on inbox, outbox and timer items live in
// memory, which is sound because bbolt admits one process per file: a
// restart voids every lease, as it should.
//
// It imports only ticketcore, channels and bbolt (plus the standard
// library); never a sibling store, a channel adapter or anything above
// ticketcore.
package boltstore
