package boltstore

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/loopdesk/loopdesk/ticketcore"
)

// Buckets. Records are JSON; keys are built so that a cursor walks them in
// the order they are read: sequences and times big-endian, composite keys
// joined by NUL (validated absent from channel names and threads).
//
// The sequences that number tickets, contacts and messages are the bbolt
// sequences of their buckets: they commit or roll back with the
// transaction, so ids are gap-free and never handed out twice.
var (
	bucketMeta        = []byte("meta")         // caller's key → value (PutMeta)
	bucketCounts      = []byte("counts")       // queue name → uint64 items waiting
	bucketMessages    = []byte("messages")     // seq → Message
	bucketExternalIDs = []byte("external_ids") // channel NUL external id → seq
	bucketThreads     = []byte("threads")      // channel NUL thread NUL seq → nil
	bucketTickets     = []byte("tickets")      // seq → Ticket (without timeline)
	bucketEntries     = []byte("entries")      // ticket seq, entry seq (uint32) → Entry
	bucketActive      = []byte("active")       // channel NUL thread → ticket seq
	bucketOpen        = []byte("open_tickets") // assignee → uint64 active tickets assigned
	bucketContacts    = []byte("contacts")     // seq → Contact
	bucketContactKeys = []byte("contact_keys") // kind NUL identity/phone/email → contact seq
	bucketInbox       = []byte("inbox")        // message seq → nil
	bucketOutbox      = []byte("outbox")       // message seq → OutboxItem
	bucketOutboxDue   = []byte("outbox_due")   // due, message seq → nil
	bucketTimers      = []byte("timers")       // timer id → Timer
	bucketTimersDue   = []byte("timers_due")   // due, timer id → nil

	allBuckets = [][]byte{bucketMeta, bucketCounts, bucketMessages, bucketExternalIDs,
		bucketThreads, bucketTickets, bucketEntries, bucketActive, bucketOpen, bucketContacts,
		bucketContactKeys, bucketInbox, bucketOutbox, bucketOutboxDue, bucketTimers, bucketTimersDue}
)

// Keys of the counts bucket: Stats reads three numbers instead of walking
// three buckets.
var (
	countInbox  = []byte("inbox")
	countOutbox = []byte("outbox")
	countTimers = []byte("timers")
)

// maxKeyPart bounds channel names, threads, external ids, timer ids,
// assignees and the identities, phones and emails of contacts, so that
// every composite key stays far below bbolt's 32 KiB key limit.
const maxKeyPart = 4096

// Message ids are "msg-", the sequence number, "-" and 8 random characters
// (msg-0000000042-k3v9t2qa). The number orders messages in the store; the
// random part keeps an id from ever naming two messages, even after the
// data directory is deleted or restored from a backup, because integrators
// deduplicate deliveries by id.
const messageIDPrefix = "msg-"

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

func newMessageID(seq uint64) string {
	var nonce [5]byte
	_, _ = rand.Read(nonce[:]) // crypto/rand.Read never fails on supported platforms
	return formatMessageID(seq) + "-" + idEncoding.EncodeToString(nonce[:])
}

// formatMessageID is the numbered part of a message id, for errors.
func formatMessageID(seq uint64) string { return fmt.Sprintf("%s%010d", messageIDPrefix, seq) }

// parseMessageID returns the sequence number of a message id. Whether the
// random part matches is for the caller to check against the stored record.
func parseMessageID(id string) (uint64, bool) {
	rest, ok := strings.CutPrefix(id, messageIDPrefix)
	if !ok {
		return 0, false
	}
	digits, _, _ := strings.Cut(rest, "-")
	n, err := strconv.ParseUint(digits, 10, 64)
	return n, err == nil && n > 0
}

func u64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func readU64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

// join builds a composite key of parts separated by NUL.
func join(parts ...string) []byte {
	return []byte(strings.Join(parts, "\x00"))
}

// threadPrefix is the key prefix of every message of a thread.
func threadPrefix(channel, thread string) []byte {
	return append(join(channel, thread), 0)
}

func threadKey(channel, thread string, msgSeq uint64) []byte {
	return binary.BigEndian.AppendUint64(threadPrefix(channel, thread), msgSeq)
}

// Kinds of contact keys: the first part of every key of the contact_keys
// bucket, so that an identity, a phone and an email never meet.
const (
	contactKeyIdentity = "identity"
	contactKeyPhone    = "phone"
	contactKeyEmail    = "email"
)

// identityKey, phoneKey and emailKey are the contact_keys keys of one
// identity, phone or email.
func identityKey(id ticketcore.Identity) []byte {
	return join(contactKeyIdentity, id.Channel, id.ID)
}

func phoneKey(phone string) []byte { return join(contactKeyPhone, phone) }

func emailKey(email string) []byte { return join(contactKeyEmail, email) }

func entryKey(ticketSeq uint64, entrySeq int) []byte {
	return binary.BigEndian.AppendUint32(u64(ticketSeq), uint32(entrySeq))
}

// dueKey orders queue items by due time (ticketcore.SortableNanos), then by id.
func dueKey(due time.Time, id []byte) []byte {
	return append(u64(uint64(ticketcore.SortableNanos(due))), id...)
}

func dueOf(key []byte) time.Time { return time.Unix(0, int64(readU64(key[:8]))) }
