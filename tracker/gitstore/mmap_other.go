//go:build !unix

package gitstore

import "os"

// mapFile reads a file into memory (no mmap on this platform).
func mapFile(path string) ([]byte, func() error, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	return b, func() error { return nil }, nil
}
