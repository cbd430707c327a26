//go:build unix

package gitstore

import (
	"fmt"
	"os"
	"syscall"
)

// mapFile maps a file read-only into memory.
func mapFile(path string) ([]byte, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if st.Size() == 0 {
		return nil, func() error { return nil }, nil
	}
	if int64(int(st.Size())) != st.Size() {
		return nil, nil, fmt.Errorf("%s: too large to map", path)
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("map %s: %w", path, err)
	}
	return b, func() error { return unmapFile(b) }, nil
}

// zapAbove is the size of a mapping from which unmapFile drops its pages
// on two threads before unmapping it.
const zapAbove = 16 << 20

// unmapFile unmaps b. A large mapping's pages are first dropped on two
// threads at once (MADV_DONTNEED shares the address space's lock), since
// munmap tears down page tables on one thread, under an exclusive lock:
// after a short audit has touched a 167 MB pack index and a 120 MB
// commit-graph all over, that teardown alone took 11 of its 56 ms, and
// nothing else runs in it. The file's pages stay in the page cache.
func unmapFile(b []byte) error {
	if len(b) >= zapAbove {
		half := len(b) / 2 &^ (os.Getpagesize() - 1)
		done := make(chan struct{})
		go func() {
			defer close(done)
			syscall.Madvise(b[half:], syscall.MADV_DONTNEED) // a failure leaves it to munmap
		}()
		syscall.Madvise(b[:half], syscall.MADV_DONTNEED)
		<-done
	}
	return syscall.Munmap(b)
}
