//go:build unix

package gitstore

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// looseDir opens loose objects relative to the objects directory, held
// open: the kernel resolves two path components per object, not the
// whole path.
type looseDir struct {
	dir  string
	fd   int
	open bool // fd is open; otherwise files are read by path
}

func openLooseDir(dir string) looseDir {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	return looseDir{dir: dir, fd: fd, open: err == nil}
}

func (d *looseDir) close() error {
	if !d.open {
		return nil
	}
	d.open = false
	return unix.Close(d.fd)
}

// read reads the file at name (relative to the directory) into buf, growing
// it when the file fills it. It reads once unless the file filled the
// buffer, so complete is false when it stopped at a short read rather than
// at the end of the file (for a regular file that is the end anyway).
func (d *looseDir) read(name string, buf []byte) (data []byte, complete bool, err error) {
	if !d.open {
		data, err = os.ReadFile(d.dir + "/" + name)
		return data, true, err
	}
	var fd int
	for {
		fd, err = unix.Openat(d.fd, name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil, false, os.ErrNotExist
		}
		return nil, false, &os.PathError{Op: "open", Path: d.dir + "/" + name, Err: err}
	}
	defer unix.Close(fd)
	buf = buf[:cap(buf)]
	if len(buf) < 4096 {
		buf = make([]byte, 4096)
	}
	n := 0
	for {
		m, err := unix.Read(fd, buf[n:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, false, &os.PathError{Op: "read", Path: d.dir + "/" + name, Err: err}
		}
		if m == 0 {
			return buf[:n], true, nil
		}
		n += m
		if n < len(buf) {
			return buf[:n], false, nil
		}
		buf = append(buf, make([]byte, len(buf))...)
	}
}
