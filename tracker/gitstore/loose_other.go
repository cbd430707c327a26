//go:build !unix

package gitstore

import (
	"os"
	"path/filepath"
)

// looseDir reads loose objects under the objects directory.
type looseDir struct{ dir string }

func openLooseDir(dir string) looseDir { return looseDir{dir: dir} }

func (d *looseDir) close() error { return nil }

// read reads the file at name (relative to the directory).
func (d *looseDir) read(name string, _ []byte) ([]byte, bool, error) {
	b, err := os.ReadFile(filepath.Join(d.dir, filepath.FromSlash(name)))
	return b, true, err
}
