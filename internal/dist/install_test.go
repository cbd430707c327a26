package dist

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// repoRoot is the repository's top directory, seen from this package.
const repoRoot = "../.."

// testVersion is the release the tests pin in a copy of the action's tree.
const testVersion = "1.2.3"

// runners maps each runner OS/arch to the release archive install.sh must
// pick; the GoReleaser test checks that .goreleaser.yaml makes exactly these.
var runners = []struct {
	os, arch string // RUNNER_OS, RUNNER_ARCH
	goos     string
	goarch   string
	asset    string
	binary   string
}{
	{"Linux", "X64", "linux", "amd64", "twokey_1.2.3_linux_amd64.tar.gz", "twokey"},
	{"Linux", "ARM64", "linux", "arm64", "twokey_1.2.3_linux_arm64.tar.gz", "twokey"},
	{"macOS", "X64", "darwin", "amd64", "twokey_1.2.3_darwin_amd64.tar.gz", "twokey"},
	{"macOS", "ARM64", "darwin", "arm64", "twokey_1.2.3_darwin_arm64.tar.gz", "twokey"},
	{"Windows", "X64", "windows", "amd64", "twokey_1.2.3_windows_amd64.zip", "twokey.exe"},
	{"Windows", "ARM64", "windows", "arm64", "twokey_1.2.3_windows_arm64.zip", "twokey.exe"},
}

// fakeTwokey is the "binary" inside the test archives: it says which archive
// it came from and records that it ran, and with what.
func fakeTwokey(asset string) []byte {
	return []byte("#!/bin/sh\necho \"fake twokey from " + asset + ": $*\"\n" +
		"echo \"ran " + asset + " $* policy=$INPUT_POLICY_PATH\" >> \"$TWOKEY_TEST_MARKER\"\n")
}

// makeArchive returns a GoReleaser-shaped archive (the binary and a README at
// the top) holding fakeTwokey under the name binary.
func makeArchive(t *testing.T, asset, binary string) []byte {
	t.Helper()
	var buf bytes.Buffer
	files := []struct {
		name string
		mode int64
		data []byte
	}{
		{"README.md", 0o644, []byte("# twokey\n")},
		{binary, 0o755, fakeTwokey(asset)},
	}
	if strings.HasSuffix(asset, ".zip") {
		zw := zip.NewWriter(&buf)
		for _, f := range files {
			h := &zip.FileHeader{Name: f.name, Method: zip.Deflate}
			h.SetMode(os.FileMode(f.mode))
			w, err := zw.CreateHeader(h)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(f.data)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(f.data)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// releaseServer serves files by URL path and records every request.
type releaseServer struct {
	*httptest.Server
	mu    sync.Mutex
	files map[string][]byte
	got   []string
}

func newReleaseServer(t *testing.T, files map[string][]byte) *releaseServer {
	s := &releaseServer{files: files}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.got = append(s.got, r.URL.Path)
		b, ok := s.files[r.URL.Path]
		s.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *releaseServer) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

// release is a GoReleaser release of fake binaries: archives by name and the
// checksums.txt that goes with them.
func release(t *testing.T) (archives map[string][]byte, checksums string) {
	t.Helper()
	archives = map[string][]byte{}
	var sums strings.Builder
	for _, r := range runners {
		a := makeArchive(t, r.asset, r.binary)
		archives[r.asset] = a
		fmt.Fprintf(&sums, "%s  %s\n", sha256hex(a), r.asset)
	}
	return archives, sums.String()
}

// actionTree copies what the action needs (action.yml, the install script,
// go.mod) into a fresh directory and, when version is not empty, pins that
// release with the given checksums, as the release job does.
func actionTree(t *testing.T, version, checksums string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"action.yml", "scripts/install.sh", "go.mod"} {
		b, err := os.ReadFile(filepath.Join(repoRoot, name))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, name), b, 0o755)
	}
	if version != "" {
		writeFile(t, filepath.Join(dir, "release", "version"), []byte(version+"\n"), 0o644)
		writeFile(t, filepath.Join(dir, "release", "checksums", "v"+version+".txt"), []byte(checksums), 0o644)
	}
	return dir
}

func writeFile(t *testing.T, name string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, mode); err != nil {
		t.Fatal(err)
	}
}

// scriptTools are the programs install.sh and the action step may use; the
// tests run them from a directory holding only these (and perhaps a stub go),
// so that a missing go or curl can be simulated. Of optionalTools, those the
// machine has are linked too; install.sh needs one of sha256sum and shasum.
var (
	scriptTools = []string{
		"bash", "sh", "awk", "tr", "mktemp", "mkdir", "mv", "cp", "rm", "chmod", "dirname",
		"cat", "tar", "gzip", "unzip", "curl",
	}
	optionalTools = []string{"sha256sum", "shasum"}
)

// toolPath makes a PATH directory with the tools, except those in without.
func toolPath(t *testing.T, without ...string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the install script is tested on Unix; on Windows it runs under Git Bash")
	}
	dir := t.TempDir()
	link := func(name string) bool {
		p, err := exec.LookPath(name)
		if err != nil {
			return false
		}
		if err := os.Symlink(p, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		return true
	}
	for _, name := range scriptTools {
		if slices.Contains(without, name) {
			continue
		}
		if !link(name) {
			t.Skipf("%s is not installed", name)
		}
	}
	hashers := 0
	for _, name := range optionalTools {
		if link(name) {
			hashers++
		}
	}
	if hashers == 0 {
		t.Skip("neither sha256sum nor shasum is installed")
	}
	return dir
}

// stubGo puts a fake go into dir that records its arguments in a log and, for
// go build -o OUT, writes a fake twokey to OUT.
func stubGo(t *testing.T, dir string) (log string) {
	t.Helper()
	log = filepath.Join(t.TempDir(), "go.log")
	script := `#!/bin/sh
if [ "$1" = version ]; then echo "go version go1.99 stub"; exit 0; fi
echo "$PWD: go $*" >> "` + log + `"
out=""
while [ $# -gt 0 ]; do
	if [ "$1" = -o ]; then out="$2"; fi
	shift
done
[ -n "$out" ] || { echo "stub go: no -o" >&2; exit 2; }
printf '#!/bin/sh\necho "built twokey: $*"\necho "ran built $* policy=$INPUT_POLICY_PATH" >> "$TWOKEY_TEST_MARKER"\n' > "$out"
chmod +x "$out"
`
	writeFile(t, filepath.Join(dir, "go"), []byte(script), 0o755)
	return log
}

// stepRun returns the script of action.yml's single step, the way the
// runner would run it.
func stepRun(t *testing.T, actionDir string) string {
	t.Helper()
	var meta actionMeta
	b, err := os.ReadFile(filepath.Join(actionDir, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &meta); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if len(meta.Runs.Steps) != 1 {
		t.Fatalf("action.yml has %d steps, want 1", len(meta.Runs.Steps))
	}
	return meta.Runs.Steps[0].Run
}

type runResult struct {
	err            error
	stdout, stderr string
	marker         string // what the twokey binary recorded, "" when it never ran
	toolCache      string
}

// runStep runs action.yml's step as a Linux runner would (bash -e -o
// pipefail), with the given runner OS/arch and extra environment.
func runStep(t *testing.T, actionDir, path, runnerOS, runnerArch, toolCache string, extra ...string) runResult {
	t.Helper()
	tmp := t.TempDir()
	marker := filepath.Join(tmp, "marker")
	if toolCache == "" {
		toolCache = t.TempDir()
	}
	runnerTemp := t.TempDir()
	cmd := exec.Command(filepath.Join(path, "bash"), "--noprofile", "--norc", "-eo", "pipefail", "-c", stepRun(t, actionDir))
	cmd.Env = append([]string{
		"PATH=" + path,
		"HOME=" + tmp,
		"GITHUB_ACTION_PATH=" + actionDir,
		"GITHUB_SERVER_URL=http://127.0.0.1:1", // never used: TWOKEY_DOWNLOAD_URL wins
		"RUNNER_OS=" + runnerOS,
		"RUNNER_ARCH=" + runnerArch,
		"RUNNER_TEMP=" + runnerTemp,
		"RUNNER_TOOL_CACHE=" + toolCache,
		"INPUT_GITHUB_TOKEN=token",
		"INPUT_POLICY_PATH=.github/twokey.yml",
		"INPUT_FORM_PATH=",
		"TWOKEY_TEST_MARKER=" + marker,
	}, extra...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	m, _ := os.ReadFile(marker)
	return runResult{err: err, stdout: stdout.String(), stderr: stderr.String(), marker: string(m), toolCache: toolCache}
}

func TestInstallPicksTheRunnersArchive(t *testing.T) {
	archives, sums := release(t)
	files := map[string][]byte{}
	for name, b := range archives {
		files["/releases/download/v"+testVersion+"/"+name] = b
	}
	srv := newReleaseServer(t, files)
	action := actionTree(t, testVersion, sums)
	path := toolPath(t)

	for _, r := range runners {
		t.Run(r.os+"/"+r.arch, func(t *testing.T) {
			before := len(srv.requests())
			res := runStep(t, action, path, r.os, r.arch, "", "TWOKEY_DOWNLOAD_URL="+srv.URL+"/releases/download/")
			if res.err != nil {
				t.Fatalf("action step on %s/%s: %v\nstderr:\n%s", r.os, r.arch, res.err, res.stderr)
			}
			if diff := cmp.Diff([]string{"/releases/download/v1.2.3/" + r.asset}, srv.requests()[before:]); diff != "" {
				t.Errorf("requests on %s/%s: diff (-want +got)\n%s", r.os, r.arch, diff)
			}
			if want := "ran " + r.asset + " action policy=.github/twokey.yml\n"; res.marker != want {
				t.Errorf("twokey ran as %q, want %q", res.marker, want)
			}
			if want := "fake twokey from " + r.asset + ": action\n"; res.stdout != want {
				t.Errorf("step stdout = %q, want %q", res.stdout, want)
			}
			if !strings.Contains(res.stderr, "verified sha256 of "+r.asset) {
				t.Errorf("step stderr does not say the archive was verified:\n%s", res.stderr)
			}
		})
	}
}

func TestInstallRefusesABadChecksum(t *testing.T) {
	archives, sums := release(t)
	linux := "twokey_1.2.3_linux_amd64.tar.gz"
	// The server (a mirror, say) serves a different archive under the right name.
	tampered := makeArchive(t, "tampered", "twokey")
	srv := newReleaseServer(t, map[string][]byte{"/v1.2.3/" + linux: tampered})
	action := actionTree(t, testVersion, sums)
	path := toolPath(t)
	stubGo(t, path) // a fallback build would be a defect here: it must stop

	res := runStep(t, action, path, "Linux", "X64", "", "TWOKEY_DOWNLOAD_URL="+srv.URL)
	if res.err == nil {
		t.Fatalf("action step with a tampered archive succeeded; stderr:\n%s", res.stderr)
	}
	for _, want := range []string{
		"checksum mismatch for " + srv.URL + "/v1.2.3/" + linux,
		"its sha256 is " + sha256hex(tampered),
		"says " + sha256hex(archives[linux]),
		"refusing to run it",
	} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
	}
	if res.marker != "" || res.stdout != "" {
		t.Errorf("a binary ran after a checksum mismatch: marker %q, stdout %q", res.marker, res.stdout)
	}
	if strings.Contains(res.stderr, "building twokey from source") {
		t.Errorf("a checksum mismatch fell back to a build; it must stop:\n%s", res.stderr)
	}
	// Nothing unverified is left in the tool cache for a later run.
	entries, _ := os.ReadDir(filepath.Join(res.toolCache, "twokey", testVersion, "amd64"))
	if len(entries) != 0 {
		t.Errorf("tool cache after a mismatch holds %v, want nothing", entries)
	}
}

func TestInstallUsesTheToolCache(t *testing.T) {
	archives, sums := release(t)
	linux := "twokey_1.2.3_linux_arm64.tar.gz"
	srv := newReleaseServer(t, map[string][]byte{"/v1.2.3/" + linux: archives[linux]})
	action := actionTree(t, testVersion, sums)
	path := toolPath(t)
	cache := t.TempDir()

	first := runStep(t, action, path, "Linux", "ARM64", cache, "TWOKEY_DOWNLOAD_URL="+srv.URL)
	if first.err != nil {
		t.Fatalf("first run: %v\n%s", first.err, first.stderr)
	}
	srv.Close() // a second download would now fail
	second := runStep(t, action, path, "Linux", "ARM64", cache, "TWOKEY_DOWNLOAD_URL="+srv.URL)
	if second.err != nil {
		t.Fatalf("second run (from the tool cache): %v\n%s", second.err, second.stderr)
	}
	if !strings.Contains(second.stderr, "from the tool cache") {
		t.Errorf("second run did not say it used the tool cache:\n%s", second.stderr)
	}
	if got := len(srv.requests()); got != 1 {
		t.Errorf("server saw %d requests over two runs, want 1", got)
	}

	// A cached archive that no longer matches is downloaded again, not used.
	cached := filepath.Join(cache, "twokey", testVersion, "arm64", linux)
	if err := os.WriteFile(cached, []byte("corrupt"), 0o644); err != nil {
		t.Fatal(err)
	}
	third := runStep(t, action, path, "Linux", "ARM64", cache, "TWOKEY_DOWNLOAD_URL="+srv.URL)
	if third.err == nil || third.marker != "" {
		t.Errorf("a corrupt cache entry with the server down: err %v, marker %q; want a failure and nothing run", third.err, third.marker)
	}
}

func TestInstallFallsBackToABuild(t *testing.T) {
	_, sums := release(t)
	tests := []struct {
		name     string
		version  string // pinned in the action's tree; "" pins nothing
		env      []string
		runnerOS string
		why      string
		requests int
	}{
		{"release assets missing (GHES)", testVersion, nil, "Linux", "could not download", 1},
		{"no release pinned (uses: ./)", "", nil, "Linux", "no release is pinned in this action's tree", 0},
		{"version source", testVersion, []string{"TWOKEY_VERSION=source"}, "Linux", "version: source asks for a build", 0},
		{"unknown runner OS", testVersion, nil, "Plan9", "no release archive for RUNNER_OS='Plan9'", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newReleaseServer(t, nil) // 404 for everything
			action := actionTree(t, tt.version, sums)
			path := toolPath(t)
			goLog := stubGo(t, path)

			env := append([]string{"TWOKEY_DOWNLOAD_URL=" + srv.URL}, tt.env...)
			res := runStep(t, action, path, tt.runnerOS, "X64", "", env...)
			if res.err != nil {
				t.Fatalf("action step: %v\nstderr:\n%s", res.err, res.stderr)
			}
			for _, want := range []string{tt.why, "building twokey from source in " + action} {
				if !strings.Contains(res.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
				}
			}
			calls, err := os.ReadFile(goLog)
			if err != nil {
				t.Fatalf("go was not called: %v", err)
			}
			if !strings.HasPrefix(string(calls), action+": go build -trimpath -o ") || !strings.HasSuffix(string(calls), " ./cmd/twokey\n") {
				t.Errorf("go calls = %q, want one go build -trimpath -o OUT ./cmd/twokey in %s", calls, action)
			}
			if want := "ran built action policy=.github/twokey.yml\n"; res.marker != want {
				t.Errorf("the built twokey ran as %q, want %q", res.marker, want)
			}
			if got := len(srv.requests()); got != tt.requests {
				t.Errorf("server saw %d requests, want %d", got, tt.requests)
			}
		})
	}
}

func TestInstallFailsClearly(t *testing.T) {
	archives, sums := release(t)
	linux := "twokey_1.2.3_linux_amd64.tar.gz"
	tests := []struct {
		name    string
		version string
		sums    string
		without []string
		env     []string
		want    []string
	}{
		{
			name: "no release and no go", version: testVersion, sums: sums, without: []string{"go"},
			want: []string{"could not download", "Go is not installed", "actions/setup-go", "go-version: '1.26"},
		},
		{
			name: "no curl", version: testVersion, sums: sums, without: []string{"curl"},
			want: []string{"curl is not installed", "'source'"},
		},
		{
			name: "requested version without checksums", version: testVersion, sums: sums,
			env:  []string{"TWOKEY_VERSION=v9.9.9"},
			want: []string{"no checksums for twokey v9.9.9 are committed", "cannot be verified", "twokey/twokey@v9.9.9"},
		},
		{
			name: "version that is not one", version: testVersion, sums: sums,
			env:  []string{"TWOKEY_VERSION=1.2.3/../../x"},
			want: []string{"version '1.2.3/../../x' is not a release version"},
		},
		{
			name: "checksums without this archive", version: testVersion,
			sums: sha256hex(archives[linux]) + "  twokey_1.2.3_linux_arm64.tar.gz\n",
			want: []string{"lists no checksum for " + linux},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newReleaseServer(t, nil)
			action := actionTree(t, tt.version, tt.sums)
			path := toolPath(t, tt.without...)
			env := append([]string{"TWOKEY_DOWNLOAD_URL=" + srv.URL}, tt.env...)
			res := runStep(t, action, path, "Linux", "X64", "", env...)
			if res.err == nil {
				t.Fatalf("action step succeeded, want a failure; stderr:\n%s", res.stderr)
			}
			if !strings.Contains(res.stderr, "::error title=twokey could not start::") {
				t.Errorf("stderr has no ::error annotation:\n%s", res.stderr)
			}
			for _, want := range tt.want {
				if !strings.Contains(res.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
				}
			}
			if res.marker != "" {
				t.Errorf("twokey ran: %q", res.marker)
			}
		})
	}
}

// TestInstallVerifiesAndExtractsOnePrivateCopy: on a self-hosted runner the
// tool cache is shared, and another process may swap the cached archive
// right after install.sh checked it. Here the checksum tool itself does the
// swap, after each check: what runs must still be the verified release.
func TestInstallVerifiesAndExtractsOnePrivateCopy(t *testing.T) {
	archives, sums := release(t)
	linux := "twokey_1.2.3_linux_amd64.tar.gz"
	srv := newReleaseServer(t, map[string][]byte{"/v1.2.3/" + linux: archives[linux]})
	action := actionTree(t, testVersion, sums)
	cache := t.TempDir()
	if first := runStep(t, action, toolPath(t), "Linux", "X64", cache, "TWOKEY_DOWNLOAD_URL="+srv.URL); first.err != nil {
		t.Fatalf("first run: %v\n%s", first.err, first.stderr)
	}
	cached := filepath.Join(cache, "twokey", testVersion, "amd64", linux)
	evil := filepath.Join(t.TempDir(), "evil.tar.gz")
	writeFile(t, evil, makeArchive(t, "EVIL", "twokey"), 0o644)

	real, err := exec.LookPath("sha256sum")
	if err != nil {
		t.Skip("sha256sum is not installed")
	}
	path := toolPath(t)
	// toolPath links the machine's checksum tools: remove the links, so
	// that the stub is written in their place and never through them.
	for _, name := range optionalTools {
		if err := os.Remove(filepath.Join(path, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
	}
	swap := "#!/bin/sh\n\"" + real + "\" \"$@\"\ncp \"" + evil + "\" \"" + cached + "\"\n"
	if err := os.WriteFile(filepath.Join(path, "sha256sum"), []byte(swap), 0o755); err != nil {
		t.Fatal(err)
	}
	res := runStep(t, action, path, "Linux", "X64", cache, "TWOKEY_DOWNLOAD_URL="+srv.URL)
	if res.err != nil {
		t.Fatalf("second run: %v\n%s", res.err, res.stderr)
	}
	if want := "ran " + linux + " action policy=.github/twokey.yml\n"; res.marker != want {
		t.Errorf("ran %q, want the verified release %q (an archive swapped in the shared cache after its check must not run)", res.marker, want)
	}
}

// TestInstallNeverCachesABuild: a build from the action's tree (an unpinned
// ref moves) is made afresh on each run and never left in the tool cache.
func TestInstallNeverCachesABuild(t *testing.T) {
	action := actionTree(t, "", "")
	path := toolPath(t)
	goLog := stubGo(t, path)
	cache := t.TempDir()
	for i := range 2 {
		if res := runStep(t, action, path, "Linux", "X64", cache); res.err != nil || res.marker == "" {
			t.Fatalf("run %d: %v\n%s", i+1, res.err, res.stderr)
		}
	}
	calls, _ := os.ReadFile(goLog)
	if n := strings.Count(string(calls), "go build"); n != 2 {
		t.Errorf("go build ran %d times over two runs, want 2 (no cached build)", n)
	}
	var left []string
	filepath.WalkDir(cache, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			left = append(left, p)
		}
		return nil
	})
	if len(left) > 0 {
		t.Errorf("the tool cache holds %q after a source build, want nothing", left)
	}
}

// TestInstallFailuresSayWhatToDo: a failed download names
// TWOKEY_DOWNLOAD_URL and says to pin a release tag.
func TestInstallFailuresSayWhatToDo(t *testing.T) {
	archives, sums := release(t)
	linux := "twokey_1.2.3_linux_amd64.tar.gz"
	for name, files := range map[string]map[string][]byte{
		"download fails": nil,
		"bad checksum":   {"/v1.2.3/" + linux: append([]byte("x"), archives[linux]...)},
	} {
		t.Run(name, func(t *testing.T) {
			srv := newReleaseServer(t, files)
			res := runStep(t, actionTree(t, testVersion, sums), toolPath(t, "go"), "Linux", "X64", "", "TWOKEY_DOWNLOAD_URL="+srv.URL)
			if res.err == nil {
				t.Fatalf("succeeded, want a failure:\n%s", res.stderr)
			}
			for _, want := range []string{"TWOKEY_DOWNLOAD_URL", "pin a release tag (uses: twokey/twokey@v1.2.3"} {
				if !strings.Contains(res.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
				}
			}
		})
	}
}
