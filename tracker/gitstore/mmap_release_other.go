//go:build !linux

package gitstore

// releaseMapped does nothing where the kernel is not asked (see the Linux
// version).
func releaseMapped([]byte) {}

// releaseMappedTwice does nothing where releaseMapped does nothing.
func releaseMappedTwice([]byte) {}
