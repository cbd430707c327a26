//go:build !linux

package gitstore

// releaseMapped does nothing where the kernel is not asked (see the Linux
// version).
func releaseMapped([]byte) {}
