package ticketcore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/loopdesk/loopdesk/channels"
)

// Meta keys of the channels' state. Each kind has a prefix of its own, so
// a channel's keys never meet the core's settings nor each other.
const (
	metaState = "state/" // + a channel's key → its value (State.Get, Update, checkpoints)
	metaOnce  = "once/"  // + a Once key → when it is forgotten (expiryText)
	// metaOnceDue + expiryText + "/" + a Once key → nothing: the Once keys
	// in the order they are forgotten, so pruning reads only expired ones.
	metaOnceDue = "once-due/"
	// oncePrune is the most expired keys one Once call forgets. Each call
	// remembers at most one key, so with more than one forgotten the
	// expired keys never pile up.
	oncePrune = 8
)

// State returns the durable key-value state channels keep for themselves
// (tokens, send windows, poll positions, callbacks seen), stored in the
// store's settings under prefixes of its own. It implements channels.State.
func (s *Service) State() channels.State { return channelState{s} }

// channelState is channels.State on the Service's store and clock.
type channelState struct{ s *Service }

var _ channels.State = channelState{}

// Get returns the value of key, or nil when it is unset.
func (c channelState) Get(ctx context.Context, key string) ([]byte, error) {
	if key == "" {
		return nil, fmt.Errorf("read state: %w: empty key", ErrInvalid)
	}
	var v []byte
	err := c.s.store.View(ctx, func(tx ReadTx) error {
		var err error
		v, err = tx.Meta(metaState + key)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read state %s: %w", key, err)
	}
	return v, nil
}

// Update sets key to what fn makes of its value in one store transaction;
// a nil result unsets it. fn's own error is returned as it is.
func (c channelState) Update(ctx context.Context, key string, fn func(old []byte) ([]byte, error)) error {
	if key == "" {
		return fmt.Errorf("update state: %w: empty key", ErrInvalid)
	}
	var fnErr error
	err := c.s.store.Update(ctx, func(tx Tx) error {
		fnErr = nil
		old, err := tx.Meta(metaState + key)
		if err != nil {
			return err
		}
		v, err := fn(old)
		if err != nil {
			fnErr = err
			return err
		}
		return putState(tx, key, v)
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("update state %s: %w", key, err)
	}
	return nil
}

// putState sets a channel's key, or unsets it for a nil value.
func putState(tx Tx, key string, value []byte) error {
	if value == nil {
		return tx.DeleteMeta(metaState + key)
	}
	return tx.PutMeta(metaState+key, value)
}

// Once reports whether key is new and remembers it until ttl has passed
// on the Service's clock. Each call first forgets a few keys whose time
// is up, so the remembered keys stay about as many as one ttl brings.
func (c channelState) Once(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if key == "" || ttl <= 0 {
		return false, fmt.Errorf("remember %q: %w: a Once needs a key and a positive ttl", key, ErrInvalid)
	}
	var first bool
	err := c.s.store.Update(ctx, func(tx Tx) error {
		var err error
		first, err = onceTx(tx, key, ttl, c.s.cfg.Now())
		return err
	})
	if err != nil {
		return false, fmt.Errorf("remember %s: %w", key, err)
	}
	return first, nil
}

// onceTx is Once within tx: whether key is new at now, remembered until
// now+ttl either way after it.
func onceTx(tx Tx, key string, ttl time.Duration, now time.Time) (bool, error) {
	if err := pruneOnce(tx, now); err != nil {
		return false, err
	}
	old, err := tx.Meta(metaOnce + key)
	if err != nil {
		return false, err
	}
	if old != nil && string(old) > expiryText(now) {
		return false, nil
	}
	if old != nil { // expired but not yet pruned
		if err := tx.DeleteMeta(metaOnceDue + string(old) + "/" + key); err != nil {
			return false, err
		}
	}
	until := expiryText(now.Add(ttl))
	if err := tx.PutMeta(metaOnce+key, []byte(until)); err != nil {
		return false, err
	}
	return true, tx.PutMeta(metaOnceDue+until+"/"+key, nil)
}

// pruneOnce forgets up to oncePrune Once keys whose time is up at now.
func pruneOnce(tx Tx, now time.Time) error {
	limit := expiryText(now)
	var expired []string
	err := tx.MetaRange(metaOnceDue, func(k string, _ []byte) bool {
		if rest := k[len(metaOnceDue):]; len(rest) > len(limit) && rest[:len(limit)] > limit {
			return false
		}
		expired = append(expired, k)
		return len(expired) < oncePrune
	})
	if err != nil {
		return err
	}
	for _, k := range expired {
		if err := tx.DeleteMeta(k); err != nil {
			return err
		}
		if _, key, ok := strings.Cut(k[len(metaOnceDue):], "/"); ok {
			if err := tx.DeleteMeta(metaOnce + key); err != nil {
				return err
			}
		}
	}
	return nil
}

// expiryText is t as 16 hex digits of Unix nanoseconds, so that text order
// is time order (SortableNanos).
func expiryText(t time.Time) string { return fmt.Sprintf("%016x", SortableNanos(t)) }
