package fsblobs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// mkdirs creates id's two fan-out directories, syncing each parent in which
// a directory was created so the new entry survives a crash too.
func (s *Store) mkdirs(id string) error {
	parent := s.root
	for _, name := range []string{id[:2], id[2:4]} {
		dir := filepath.Join(parent, name)
		err := os.Mkdir(dir, dirMode)
		switch {
		case err == nil:
			if err := syncDir(parent); err != nil {
				return err
			}
		case !errors.Is(err, fs.ErrExist):
			return err
		}
		parent = dir
	}
	return nil
}

// writeFile writes data to path through a synced temp file in dir and an
// atomic rename, then syncs dir. Were two calls for the same path to run at
// once, each would write its own temp file and the renames would replace
// one complete, identical file with another.
func writeFile(dir, path string, data []byte) (err error) {
	f, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	if err = f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes the entries of dir (a created, renamed or removed file)
// durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// removeTemps deletes the temp files of Puts a crash interrupted. They can
// only be in fan-out directories, two levels down.
func (s *Store) removeTemps() error {
	tops, err := fanOut(s.root)
	if err != nil {
		return err
	}
	for _, top := range tops {
		leaves, err := fanOut(top)
		if err != nil {
			return err
		}
		for _, leaf := range leaves {
			if err := removeTempsIn(leaf); err != nil {
				return err
			}
		}
	}
	return nil
}

// fanOut lists the fan-out directories in dir: two lowercase hex digits.
func fanOut(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if n := e.Name(); e.IsDir() && len(n) == 2 && isHex(n[0]) && isHex(n[1]) {
			out = append(out, filepath.Join(dir, n))
		}
	}
	return out, nil
}

func removeTempsIn(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	removed := false
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), tempPrefix) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		removed = true
	}
	if removed {
		return syncDir(dir)
	}
	return nil
}
