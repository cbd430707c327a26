package gitstore

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// FuzzReadFetchAnswer feeds readFetchAnswer hostile answers: it must
// return an error or a store whose every object is named by its content
// (never a panic, never an object under another name). An input that
// starts with "PACK" is taken as a pack without its checksum: it is
// given a right one and sent in a well-formed answer, so that the
// mutations reach the pack's reader past its checksum. Any other input is
// the answer as the remote sends it. Only the seeds run by default.
func FuzzReadFetchAnswer(f *testing.F) {
	blob := []byte("hello\n")
	whole := packOf(f, 2, fuzzObject(3, blob), fuzzObject(3, []byte("a note\n")))
	// The harness reads a well-formed answer: the fuzzing starts from one.
	s := newNotesStore()
	if err := readFetchAnswer(newPktReader(bytes.NewReader(fetchAnswer(whole, "shallow-info\n"))), s); err != nil {
		f.Fatalf("readFetchAnswer(well-formed answer) = %v", err)
	}
	if err := s.has(plumbing.ComputeHash(plumbing.BlobObject, blob), true); err != nil {
		f.Fatalf("the blob of a well-formed answer: %v", err)
	}
	f.Add(whole[:len(whole)-20])
	f.Add(fetchAnswer(whole, "shallow-info\n", "shallow "+strings.Repeat("ab", 20)+"\n"))
	f.Add(fetchAnswer(whole))
	if p := gitPack(f); p != nil { // deltas, as a remote sends them
		f.Add(p[:len(p)-20])
		f.Add(fetchAnswer(p))
	}
	f.Add([]byte("0000"))
	f.Add([]byte("000dpackfile\n0009\x03boom0000"))
	f.Add([]byte("000dpackfile\n0006\x01P0000"))
	f.Add([]byte("0011ERR no thanks0000"))
	f.Add([]byte("fffftruncated"))
	f.Fuzz(func(t *testing.T, in []byte) {
		answer := in
		if bytes.HasPrefix(in, []byte("PACK")) {
			sum := sha1.Sum(in)
			answer = fetchAnswer(append(bytes.Clone(in), sum[:]...))
		}
		s := newNotesStore()
		if err := readFetchAnswer(newPktReader(bytes.NewReader(answer)), s); err != nil {
			return
		}
		// Every object held, blobs named too, reads back under its name.
		if _, err := s.inPacks(plumbing.ZeroHash, true); err != nil {
			return // a blob that cannot be named is an error when asked for
		}
		for _, p := range s.objs.packs {
			names, err := p.names()
			if err != nil {
				t.Fatal(err)
			}
			for i := range p.n {
				h := plumbing.Hash(names[20*i : 20*i+20])
				o, err := s.EncodedObject(plumbing.AnyObject, h)
				if err != nil {
					continue
				}
				r, _ := o.Reader()
				var b bytes.Buffer
				b.ReadFrom(r)
				if got := plumbing.ComputeHash(o.Type(), b.Bytes()); got != h {
					t.Fatalf("object %s read back as a %s named %s", h, o.Type(), got)
				}
			}
		}
	})
}

// fuzzObject is a whole object's pack entry: header and zlib stream.
func fuzzObject(typ int, content []byte) []byte {
	var b bytes.Buffer
	size := len(content)
	c := byte(typ<<4) | byte(size&15)
	size >>= 4
	for size > 0 {
		b.WriteByte(c | 0x80)
		c = byte(size & 0x7f)
		size >>= 7
	}
	b.WriteByte(c)
	b.Write(zlibOf(content))
	return b.Bytes()
}

// packOf is a version 2 pack of n entries, with its checksum.
func packOf(tb testing.TB, n int, entries ...[]byte) []byte {
	tb.Helper()
	b := []byte("PACK\x00\x00\x00\x02")
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	for _, e := range entries {
		b = append(b, e...)
	}
	sum := sha1.Sum(b)
	return append(b, sum[:]...)
}

// fetchAnswer is a v2 fetch answer: the sections given (a header and its
// lines, each section ended by a delim-pkt), then the packfile section
// with pack on band 1 in pkts of at most 1000 bytes, and a flush-pkt.
func fetchAnswer(pack []byte, section ...string) []byte {
	var b bytes.Buffer
	pkt := func(p []byte) { fmt.Fprintf(&b, "%04x", len(p)+4); b.Write(p) }
	for _, l := range section {
		pkt([]byte(l))
	}
	if len(section) > 0 {
		b.WriteString("0001")
	}
	pkt([]byte("packfile\n"))
	for len(pack) > 0 {
		n := min(len(pack), 1000)
		pkt(append([]byte{1}, pack[:n]...))
		pack = pack[n:]
	}
	b.WriteString("0000")
	return b.Bytes()
}

// gitPack is a pack made by git of two commits whose files differ a
// little (ofs-deltas), nil without git.
func gitPack(tb testing.TB) []byte {
	tb.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		return nil
	}
	dir := tb.TempDir()
	run := func(stdin string, args ...string) []byte {
		cmd := exec.Command("git", append([]string{"-c", "user.name=T", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(cmd.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
			"GIT_AUTHOR_DATE=2026-03-01T12:00:00Z", "GIT_COMMITTER_DATE=2026-03-01T12:00:00Z")
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.Output()
		if err != nil {
			tb.Fatalf("git %s: %v", strings.Join(args, " "), err)
		}
		return out
	}
	run("", "init", "-q", ".")
	text := strings.Repeat("a line of a note that repeats\n", 20)
	for i := range 2 {
		if err := os.WriteFile(filepath.Join(dir, "f"), []byte(text+fmt.Sprint(i)+"\n"), 0o644); err != nil {
			tb.Fatal(err)
		}
		run("", "add", "f")
		run("", "commit", "-q", "-m", fmt.Sprint(i))
	}
	return run("HEAD\n", "pack-objects", "--stdout", "--revs", "--delta-base-offset", "-q")
}

func zlibOf(b []byte) []byte {
	var out bytes.Buffer
	w := zlib.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}
