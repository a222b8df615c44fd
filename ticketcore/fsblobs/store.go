package fsblobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/loopdesk/loopdesk/ticketcore"
)

const (
	// dirMode is the mode of the root and the fan-out directories.
	dirMode = 0o750
	// tempPrefix starts the name of every file Put has not yet renamed into
	// place; Open removes them.
	tempPrefix = ".tmp-"
)

// Store is attachment content under one root directory. Safe for concurrent
// use. Open one Store per root: Open removes temp files, so it assumes no
// other Store, here or in another process, is writing under root.
type Store struct {
	root string

	mu sync.Mutex
	// inflight holds the Puts under way, by id. A second Put of the same
	// content waits for the first instead of trusting a file whose directory
	// entry may not be synced yet.
	inflight map[string]*flight
}

// flight is one Put under way; done closes when err is set.
type flight struct {
	done chan struct{}
	err  error
}

var _ ticketcore.Blobs = (*Store)(nil)

// Open returns the store under root, creating root (0750) if needed, and
// removes temp files a crash left behind.
func Open(root string) (*Store, error) {
	if root == "" {
		return nil, errors.New("open blob store: a root directory is required")
	}
	if err := os.MkdirAll(root, dirMode); err != nil {
		return nil, fmt.Errorf("open blob store: %w", err)
	}
	s := &Store{root: root, inflight: make(map[string]*flight)}
	if err := s.removeTemps(); err != nil {
		return nil, fmt.Errorf("open blob store: %w", err)
	}
	return s, nil
}

// Put stores data and returns its SHA-256 (lowercase hex). Once it returns
// nil the content and its directory entry are synced to disk. Content
// already stored is not written again.
func (s *Store) Put(ctx context.Context, data []byte) (string, error) {
	sum := sha256.Sum256(data)
	id := hex.EncodeToString(sum[:])
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("put blob %s: %w", id, err)
	}
	s.mu.Lock()
	if f, ok := s.inflight[id]; ok {
		s.mu.Unlock()
		select {
		case <-f.done:
			return id, f.err
		case <-ctx.Done():
			return "", fmt.Errorf("put blob %s: %w", id, ctx.Err())
		}
	}
	f := &flight{done: make(chan struct{})}
	s.inflight[id] = f
	s.mu.Unlock()

	f.err = s.put(id, data)
	s.mu.Lock()
	delete(s.inflight, id)
	s.mu.Unlock()
	close(f.done)
	if f.err != nil {
		return "", f.err
	}
	return id, nil
}

// put stores data under id unless it is there already. No other put of id
// runs at the same time.
func (s *Store) put(id string, data []byte) error {
	dir, path := s.dir(id), s.path(id)
	// With no Put of id under way, a file in place was renamed by a Put that
	// synced it and its directory, or survived a restart: either way it is
	// on disk, and complete, so a matching size means the content is there.
	// Any other size is a file this package did not write, and is replaced.
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && fi.Size() == int64(len(data)) {
		return nil
	}
	if err := s.mkdirs(id); err != nil {
		return fmt.Errorf("put blob %s: %w", id, err)
	}
	if err := writeFile(dir, path, data); err != nil {
		return fmt.Errorf("put blob %s: %w", id, err)
	}
	return nil
}

// Get returns the content stored under id. An id that is not 64 lowercase
// hex digits, and content never stored, are errors wrapping
// ticketcore.ErrNotFound. Content that no longer matches its hash is an
// error of its own.
func (s *Store) Get(ctx context.Context, id string) ([]byte, error) {
	if !validID(id) {
		return nil, fmt.Errorf("get blob: the id is not a lowercase hex SHA-256: %w", ticketcore.ErrNotFound)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("get blob %s: %w", id, err)
	}
	data, err := os.ReadFile(s.path(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("get blob %s: %w", id, ticketcore.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get blob %s: %w", id, err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != id {
		return nil, fmt.Errorf("get blob %s: the stored content is corrupt (its SHA-256 differs)", id)
	}
	return data, nil
}

// validID reports whether id is a lowercase hex SHA-256: the only strings a
// path is ever built from.
func validID(id string) bool {
	if len(id) != 2*sha256.Size {
		return false
	}
	for i := range len(id) {
		if !isHex(id[i]) {
			return false
		}
	}
	return true
}

// isHex reports whether c is a lowercase hex digit.
func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

// dir is the directory of id's file: <root>/ab/cd.
func (s *Store) dir(id string) string { return filepath.Join(s.root, id[:2], id[2:4]) }

// path is id's file: <root>/ab/cd/abcd….
func (s *Store) path(id string) string { return filepath.Join(s.dir(id), id) }
