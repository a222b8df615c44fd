package fsblobs_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/loopdesk/loopdesk/ticketcore/fsblobs"
)

func TestOpenCreatesRoot(t *testing.T) {
	root := filepath.Join(t.TempDir(), "data", "attachments")
	if _, err := fsblobs.Open(root); err != nil {
		t.Fatalf("Open: %v", err)
	}
	fi, err := os.Stat(root)
	if err != nil || !fi.IsDir() {
		t.Fatalf("root = %v, %v; want a directory", fi, err)
	}
	if perm := fi.Mode().Perm(); perm&^0o750 != 0 {
		t.Errorf("root mode = %v, want at most 0750", perm)
	}
	if _, err := fsblobs.Open(root); err != nil {
		t.Errorf("Open of an existing root: %v", err)
	}
}

func TestOpenRejects(t *testing.T) {
	if _, err := fsblobs.Open(""); err == nil {
		t.Error("Open(\"\") = nil error, want one")
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := fsblobs.Open(file); err == nil {
		t.Error("Open(a regular file) = nil error, want one")
	}
}

func TestOpenRemovesLeftoverTempFiles(t *testing.T) {
	s, root := open(t)
	ctx := context.Background()
	data := []byte("kept")
	id, err := s.Put(ctx, data)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	leaf := filepath.Dir(blobPath(root, id))
	// What a crash between CreateTemp and Rename leaves: a temp file of Put's
	// naming (".tmp-" and a random suffix) beside the content.
	crashed := filepath.Join(leaf, ".tmp-4127730611")
	other := filepath.Join(leaf, "00", ".tmp-not-a-fan-out-dir")
	mustWrite(t, crashed, []byte("half an attach"))
	mustWrite(t, filepath.Join(root, "README"), []byte("not ours"))
	mustWrite(t, other, []byte("not ours either"))

	if _, err := fsblobs.Open(root); err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if _, err := os.Stat(crashed); !os.IsNotExist(err) {
		t.Errorf("temp file %s survived Open (stat: %v)", crashed, err)
	}
	for _, keep := range []string{filepath.Join(root, "README"), other, blobPath(root, id)} {
		if _, err := os.Stat(keep); err != nil {
			t.Errorf("Open removed %s: %v", keep, err)
		}
	}
	if got, err := s.Get(ctx, id); err != nil || !bytes.Equal(got, data) {
		t.Errorf("Get after reopen = %q, %v; want %q", got, err, data)
	}
}

func mustWrite(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
