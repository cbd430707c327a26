//go:build linux

package gitstore

import "syscall"

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
