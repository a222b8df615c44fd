package boltstore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/loopdesk/loopdesk/ticketcore"
)

// readTx implements ticketcore.ReadTx on a bbolt transaction. Everything it
// returns is decoded or copied: bbolt's bytes die with the transaction.
type readTx struct{ tx *bolt.Tx }

// writeTx implements ticketcore.Tx. It lives for one attempt at a batch.
type writeTx struct {
	readTx
	// ended lists the claims this transaction completed; they end when it
	// commits.
	ended []leaseKey
	// err is the first storage error of the running fn. A write method that
	// fails may have written part of its records, so the fn fails with it
	// even if the fn ignores the error.
	err error
}

var (
	_ ticketcore.ReadTx = readTx{}
	_ ticketcore.Tx     = (*writeTx)(nil)
)

func (r readTx) bucket(name []byte) *bolt.Bucket { return r.tx.Bucket(name) }

// fail records a storage error of the running fn (see writeTx.err).
func (w *writeTx) fail(doing string, err error) error {
	err = fmt.Errorf("%s: %w", doing, err)
	if w.err == nil {
		w.err = err
	}
	return err
}

// getJSON decodes the record at key into v and reports whether there was one.
func getJSON(b *bolt.Bucket, key []byte, v any) (bool, error) {
	data := b.Get(key)
	if data == nil {
		return false, nil
	}
	return true, json.Unmarshal(data, v)
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

func notFound(what, id string) error {
	return fmt.Errorf("%s %q: %w", what, id, ticketcore.ErrNotFound)
}

// validKeyPart rejects what cannot be part of a composite key: NUL is the
// separator, and bbolt limits key length.
func validKeyPart(what, s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("%w: NUL in %s", ticketcore.ErrInvalid, what)
	}
	if len(s) > maxKeyPart {
		return fmt.Errorf("%w: %s longer than %d bytes", ticketcore.ErrInvalid, what, maxKeyPart)
	}
	return nil
}

func validThread(channel, thread string) error {
	if err := validKeyPart("channel", channel); err != nil {
		return err
	}
	return validKeyPart("thread", thread)
}

// pageNewest pages through b, whose keys are sequences, from the newest
// record down: it decodes each record below the sequence after (every
// record when after is 0) and returns the first size that match accepts;
// next is the id of the page's last record when another match follows,
// else "". A linear scan is fine at the scale of one machine's team; a
// store past that keeps indexes (or is PostgreSQL).
func pageNewest[T any](b *bolt.Bucket, after uint64, size int, match func(T) bool, id func(T) string) ([]T, string, error) {
	c := b.Cursor()
	k, v := c.Last()
	if after > 0 {
		if k, v = c.Seek(u64(after)); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	}
	var page []T
	for ; k != nil; k, v = c.Prev() {
		var rec T
		if err := json.Unmarshal(v, &rec); err != nil {
			return nil, "", fmt.Errorf("decode record %d: %w", readU64(k), err)
		}
		if !match(rec) {
			continue
		}
		if len(page) == size { // one more match: there is a next page
			return page, id(page[size-1]), nil
		}
		page = append(page, rec)
	}
	return page, "", nil
}

// Meta returns a copy of a stored setting, or nil.
func (r readTx) Meta(key string) ([]byte, error) {
	b := r.bucket(bucketMeta)
	v := b.Get([]byte(key))
	if v == nil && !has(b, []byte(key)) {
		return nil, nil
	}
	return append([]byte{}, v...), nil
}

// PutMeta stores a copy of value: bbolt needs it until commit, which is
// after fn has returned.
func (w *writeTx) PutMeta(key string, value []byte) error {
	if key == "" || len(key) > maxKeyPart {
		return fmt.Errorf("put meta: %w: key must have 1 to %d bytes", ticketcore.ErrInvalid, maxKeyPart)
	}
	if err := w.bucket(bucketMeta).Put([]byte(key), append([]byte{}, value...)); err != nil {
		return w.fail("put meta "+key, err)
	}
	return nil
}

// MetaRange walks the settings under prefix with a cursor, in key order;
// fn gets copies.
func (r readTx) MetaRange(prefix string, fn func(key string, value []byte) bool) error {
	p := []byte(prefix)
	c := r.bucket(bucketMeta).Cursor()
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		if !fn(string(k), append([]byte{}, v...)) {
			return nil
		}
	}
	return nil
}

// DeleteMeta removes a setting; bbolt answers nil for a missing key.
func (w *writeTx) DeleteMeta(key string) error {
	if key == "" || len(key) > maxKeyPart {
		return fmt.Errorf("delete meta: %w: key must have 1 to %d bytes", ticketcore.ErrInvalid, maxKeyPart)
	}
	if err := w.bucket(bucketMeta).Delete([]byte(key)); err != nil {
		return w.fail("delete meta "+key, err)
	}
	return nil
}
