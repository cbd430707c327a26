//go:build unix

package gitstore

import (
	"fmt"
	"os"
	"syscall"
)

// mapFile maps f, open and of size bytes, read-only into memory.
func mapFile(f *os.File, size int64) ([]byte, func() error, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if st.Size() != size {
		// Pages past the end of a file that shrank fault when read.
		return nil, nil, fmt.Errorf("%s changed size while open", f.Name())
	}
	if size == 0 {
		return nil, func() error { return nil }, nil
	}
	if int64(int(size)) != size {
		return nil, nil, fmt.Errorf("%s: too large to map", f.Name())
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("map %s: %w", f.Name(), err)
	}
	return b, func() error { return unmapFile(b) }, nil
}

// unmapFile unmaps b, its pages released first where that is faster (see
// releaseMappedTwice).
func unmapFile(b []byte) error {
	releaseMappedTwice(b)
	return syscall.Munmap(b)
}
