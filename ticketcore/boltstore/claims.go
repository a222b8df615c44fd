package boltstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/loopdesk/loopdesk/ticketcore"
)

// Claims are leases held in memory. bbolt lets one process open the file,
// so no other process can hold a claim, and a restart rightly voids them
// all: whoever held them is gone.

type leaseKind uint8

const (
	leaseInbox leaseKind = iota
	leaseOutbox
	leaseTimer
)

// leaseKey names a claimed item: inbox and outbox items by their message
// sequence, timers by id.
type leaseKey struct {
	kind leaseKind
	seq  uint64
	id   string
}

// leases maps claimed items to their lease. Its mutex is held across a
// claim's whole read transaction and across the release after a commit;
// so a claim either reads before a completion commits (and sees the item
// still claimed) or after (and no longer sees the item), never a stale
// item that is already unclaimed.
//
// Leases are numbered in the order claims take them. A commit ends only
// the leases taken before it began to commit: a claim that reads the
// committed state before the release (an item queued again, due now) has
// a lease of its own, which the release must not end, or a second claim
// would take the item again at once.
type leases struct {
	mu    sync.Mutex
	until map[leaseKey]lease
	taken uint64 // claims made so far
}

// lease is how long an item stays claimed, and by which claim.
type lease struct {
	until time.Time
	claim uint64
}

func (l *leases) init() { l.until = make(map[leaseKey]lease) }

// claims numbers the last claim made so far.
func (l *leases) claims() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.taken
}

// end ends the leases of keys taken by claims numbered up to before.
func (l *leases) end(keys []leaseKey, before uint64) {
	if len(keys) == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		if ls, ok := l.until[k]; ok && ls.claim <= before {
			delete(l.until, k)
		}
	}
}

// claimScan reads up to limit unclaimed items in a transaction; held
// reports whether an item is claimed at the claim's now.
type claimScan func(r readTx, held func(leaseKey) bool) ([]leaseKey, error)

// claim runs scan and leases what it found until now+d.
func (s *Store) claim(ctx context.Context, now time.Time, d time.Duration, scan claimScan) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.enter(); err != nil {
		return err
	}
	defer s.readers.Done()
	l := &s.leases
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, ls := range l.until { // expired leases would only grow the map
		if !ls.until.After(now) {
			delete(l.until, k)
		}
	}
	held := func(k leaseKey) bool { _, ok := l.until[k]; return ok }
	var taken []leaseKey
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		taken, err = scan(readTx{tx}, held)
		return err
	})
	if err != nil {
		return err
	}
	l.taken++
	for _, k := range taken {
		l.until[k] = lease{until: now.Add(d), claim: l.taken}
	}
	return nil
}

// ClaimInbox claims inbox messages in the order they were stored.
func (s *Store) ClaimInbox(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]ticketcore.Message, error) {
	var msgs []ticketcore.Message
	err := s.claim(ctx, now, lease, func(r readTx, held func(leaseKey) bool) ([]leaseKey, error) {
		msgs = msgs[:0]
		var taken []leaseKey
		c := r.bucket(bucketInbox).Cursor()
		for k, _ := c.First(); k != nil && len(msgs) < limit; k, _ = c.Next() {
			key := leaseKey{kind: leaseInbox, seq: readU64(k)}
			if held(key) {
				continue
			}
			m, err := r.messageAt(readU64(k))
			if err != nil {
				return nil, err
			}
			msgs, taken = append(msgs, m), append(taken, key)
		}
		return taken, nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim inbox: %w", err)
	}
	return msgs, nil
}

// ClaimOutbox claims due outbox items, earliest due first, with their
// messages.
func (s *Store) ClaimOutbox(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]ticketcore.OutboxItem, error) {
	var items []ticketcore.OutboxItem
	err := s.claim(ctx, now, lease, func(r readTx, held func(leaseKey) bool) ([]leaseKey, error) {
		items = items[:0]
		var taken []leaseKey
		c := r.bucket(bucketOutboxDue).Cursor()
		for k, _ := c.First(); k != nil && len(items) < limit && !dueOf(k).After(now); k, _ = c.Next() {
			seq := readU64(k[8:])
			key := leaseKey{kind: leaseOutbox, seq: seq}
			if held(key) {
				continue
			}
			it, err := r.outboxItem(seq)
			if err != nil {
				return nil, err
			}
			items, taken = append(items, it), append(taken, key)
		}
		return taken, nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim outbox: %w", err)
	}
	return items, nil
}

func (r readTx) outboxItem(seq uint64) (ticketcore.OutboxItem, error) {
	var it ticketcore.OutboxItem
	found, err := getJSON(r.bucket(bucketOutbox), u64(seq), &it)
	switch {
	case err != nil:
		return it, fmt.Errorf("read outbox item %s: %w", formatMessageID(seq), err)
	case !found:
		return it, notFound("outbox item", formatMessageID(seq))
	}
	it.Message, err = r.messageAt(seq)
	it.MessageID = it.Message.ID
	return it, err
}

// ClaimTimers claims due timers, earliest due first.
func (s *Store) ClaimTimers(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]ticketcore.Timer, error) {
	var timers []ticketcore.Timer
	err := s.claim(ctx, now, lease, func(r readTx, held func(leaseKey) bool) ([]leaseKey, error) {
		timers = timers[:0]
		var taken []leaseKey
		c := r.bucket(bucketTimersDue).Cursor()
		for k, _ := c.First(); k != nil && len(timers) < limit && !dueOf(k).After(now); k, _ = c.Next() {
			key := leaseKey{kind: leaseTimer, id: string(k[8:])}
			if held(key) {
				continue
			}
			var t ticketcore.Timer
			found, err := getJSON(r.bucket(bucketTimers), k[8:], &t)
			if err != nil {
				return nil, fmt.Errorf("read timer %s: %w", key.id, err)
			}
			if !found {
				return nil, notFound("timer", key.id)
			}
			timers, taken = append(timers, t), append(taken, key)
		}
		return taken, nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim timers: %w", err)
	}
	return timers, nil
}
