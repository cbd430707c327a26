//go:build !unix

package gitstore

import (
	"fmt"
	"os"
)

// mapFile reads f, open and of size bytes, into memory (no mmap on this
// platform).
func mapFile(f *os.File, size int64) ([]byte, func() error, error) {
	if int64(int(size)) != size {
		return nil, nil, fmt.Errorf("%s: too large to read", f.Name())
	}
	b := make([]byte, size)
	if _, err := f.ReadAt(b, 0); err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", f.Name(), err)
	}
	return b, func() error { return nil }, nil
}
