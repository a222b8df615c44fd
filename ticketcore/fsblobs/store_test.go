package fsblobs_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/loopdesk/loopdesk/ticketcore"
	"github.com/loopdesk/loopdesk/ticketcore/fsblobs"
)

func open(t *testing.T) (*fsblobs.Store, string) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "blobs")
	s, err := fsblobs.Open(root)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s, root
}

func hash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// blobPath is where the package documents content lives.
func blobPath(root, id string) string { return filepath.Join(root, id[:2], id[2:4], id) }

func TestPutGetRoundTrip(t *testing.T) {
	s, root := open(t)
	ctx := context.Background()
	for _, data := range [][]byte{
		[]byte("发票.pdf 的内容"),
		{0, 1, 2, 0xff, 0xfe},
		{},
		bytes.Repeat([]byte("x"), 3<<20),
	} {
		id, err := s.Put(ctx, data)
		if err != nil {
			t.Fatalf("Put: %v", err)
		}
		if id != hash(data) {
			t.Errorf("Put = %s, want the SHA-256 %s", id, hash(data))
		}
		if _, err := os.Stat(blobPath(root, id)); err != nil {
			t.Errorf("content is not at <root>/ab/cd/<id>: %v", err)
		}
		got, err := s.Get(ctx, id)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("Get(%s) = %d bytes, %v; want the %d bytes put", id, len(got), err, len(data))
		}
	}
}

func TestPutExistingContentIsANoOp(t *testing.T) {
	s, root := open(t)
	ctx := context.Background()
	data := []byte("screenshot")
	id, err := s.Put(ctx, data)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	before, _ := os.Stat(blobPath(root, id))
	again, err := s.Put(ctx, data)
	if err != nil || again != id {
		t.Fatalf("second Put = %s, %v; want %s", again, err, id)
	}
	after, _ := os.Stat(blobPath(root, id))
	if !os.SameFile(before, after) {
		t.Error("second Put rewrote the file; want it left alone")
	}
}

func TestPutRepairsAFileOfTheWrongSize(t *testing.T) {
	s, root := open(t)
	ctx := context.Background()
	data := []byte("the whole attachment")
	id := hash(data)
	if err := os.MkdirAll(filepath.Dir(blobPath(root, id)), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blobPath(root, id), data[:5], 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, data); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if got, err := s.Get(ctx, id); err != nil || !bytes.Equal(got, data) {
		t.Errorf("Get = %q, %v; want %q", got, err, data)
	}
}

func TestGetInvalidIDs(t *testing.T) {
	s, root := open(t)
	ctx := context.Background()
	id, err := s.Put(ctx, []byte("stored"))
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	// A file outside the fan-out that a path built from input could reach.
	if err := os.WriteFile(filepath.Join(root, "secret"), []byte("not a blob"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		"",
		"../etc/passwd",
		"../secret",
		"secret",
		strings.ToUpper(id),
		id[:63],
		id + "0",
		id[:62] + "/.",
		"../../" + id[6:],
		id[:2] + "/" + id[3:],
		strings.Repeat("g", 64),
		id[:63] + "\x00",
		" " + id[1:],
	} {
		got, err := s.Get(ctx, bad)
		if !errors.Is(err, ticketcore.ErrNotFound) || got != nil {
			t.Errorf("Get(%q) = %q, %v; want ErrNotFound", bad, got, err)
		}
	}
}

func TestGetMissing(t *testing.T) {
	s, _ := open(t)
	_, err := s.Get(context.Background(), hash([]byte("never stored")))
	if !errors.Is(err, ticketcore.ErrNotFound) {
		t.Fatalf("Get = %v, want ErrNotFound", err)
	}
}

func TestGetCorruptContent(t *testing.T) {
	s, root := open(t)
	ctx := context.Background()
	id, err := s.Put(ctx, []byte("original"))
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if err := os.WriteFile(blobPath(root, id), []byte("tampered"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = s.Get(ctx, id)
	if err == nil || errors.Is(err, ticketcore.ErrNotFound) || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("Get = %v, want a corruption error", err)
	}
}

func TestCanceledContext(t *testing.T) {
	s, _ := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Put(ctx, []byte("late")); !errors.Is(err, context.Canceled) {
		t.Errorf("Put = %v, want context.Canceled", err)
	}
	if _, err := s.Get(ctx, hash([]byte("late"))); !errors.Is(err, context.Canceled) {
		t.Errorf("Get = %v, want context.Canceled", err)
	}
}

func TestConcurrentPuts(t *testing.T) {
	s, root := open(t)
	ctx := context.Background()
	same := bytes.Repeat([]byte("same attachment "), 4096)
	const n = 32
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Go(func() {
			if id, err := s.Put(ctx, same); err != nil || id != hash(same) {
				errs <- fmt.Errorf("Put(same) = %s, %v", id, err)
			}
		})
		wg.Go(func() {
			data := fmt.Appendf(nil, "attachment %d", i)
			id, err := s.Put(ctx, data)
			if err == nil {
				var got []byte
				got, err = s.Get(ctx, id)
				if err == nil && !bytes.Equal(got, data) {
					err = fmt.Errorf("read back %q", got)
				}
			}
			if err != nil {
				errs <- fmt.Errorf("Put/Get(%d): %w", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got, err := s.Get(ctx, hash(same)); err != nil || !bytes.Equal(got, same) {
		t.Errorf("Get(same) = %d bytes, %v", len(got), err)
	}
	if temps := tempFiles(t, root); len(temps) > 0 {
		t.Errorf("temp files left behind: %v", temps)
	}
}

// tempFiles lists the files under root that are not stored content.
func tempFiles(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if name := d.Name(); len(name) != 64 || path != blobPath(root, name) {
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
