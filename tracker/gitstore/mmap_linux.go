//go:build linux

package gitstore

import (
	"os"
	"syscall"
)

// releaseMapped lets the kernel take back the pages of a read-only file
// mapping that this process has touched: they stay in the page cache, and a
// later read faults them back in. A walk over a million commits touches
// most of a pack once; releasing as it goes keeps its resident memory near
// what it reads at a time instead of the whole pack.
func releaseMapped(b []byte) {
	if len(b) > 0 {
		_ = syscall.Madvise(b, syscall.MADV_DONTNEED)
	}
}

// releaseTwiceAbove is the size of a mapping from which releaseMappedTwice
// works on two threads.
const releaseTwiceAbove = 16 << 20

// releaseMappedTwice is releaseMapped on two threads at once, for a large
// mapping about to be unmapped. munmap tears page tables down on one
// thread, under the address space's exclusive lock, where MADV_DONTNEED
// shares it: after a short audit has touched a 167 MB pack index and a
// 120 MB commit-graph all over, that teardown took 11 of its 56 ms, with
// nothing else left to run beside it.
func releaseMappedTwice(b []byte) {
	if len(b) < releaseTwiceAbove {
		return
	}
	half := len(b) / 2 &^ (os.Getpagesize() - 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		releaseMapped(b[half:])
	}()
	releaseMapped(b[:half])
	<-done
}
