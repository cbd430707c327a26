// Command benchrecords is the record job's half of scripts/bench-records.sh:
//
//	benchrecords serve -root DIR -addr-file FILE [-as github|filter|plain] [-v0]
//
// serves the bare repositories under DIR over smart HTTP with the real `git
// http-backend` (pushes enabled, no auth), as GitHub serves a repository to
// the action, and writes its base URL to FILE; it runs until killed. As
// github (the default), upload-pack advertises filter and
// allow-reachable-sha1-in-want, both of which GitHub advertises
// (uploadpack.allowFilter, uploadpack.allowReachableSHA1InWant), so the
// append fetches the tip commit alone (--filter=tree:0) and the trees of
// the note's path by name; as filter it advertises filter alone, and the
// append fetches the tip's commit and trees (--filter=blob:none); as plain
// it advertises neither (git's defaults), and the append fetches the tip's
// every tree and note. upload-pack answers in git protocol v2 when asked,
// as GitHub does (where a want may name any object, so that served as
// filter the append fetches as from github); -v0 drops the Git-Protocol
// header, for a server that speaks v0 alone. As github, refs/pull is
// hidden from receive-pack (receive.hideRefs), as on GitHub.
//
//	benchrecords append -url URL -commit SHA [-pr N]
//
// appends one merge record to the note on SHA under refs/notes/twokey of the
// repository at URL with gitstore.Remote.AppendRecord, as the action's
// record job does, so that the whole process can be timed.
package main

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/twokey/twokey/tracker"
	"github.com/twokey/twokey/tracker/gitstore"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchrecords serve|append [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "append":
		err = appendRecord(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q: want serve or append", os.Args[1])
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "benchrecords: %v\n", err)
		os.Exit(1)
	}
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	root := fs.String("root", "", "directory of bare repositories to serve")
	addrFile := fs.String("addr-file", "", "file to write the server's base URL to")
	v0 := fs.Bool("v0", false, "answer in git protocol v0 alone (drop the Git-Protocol header)")
	as := fs.String("as", "github", "what upload-pack advertises: github (filter, allow-reachable-sha1-in-want), filter (filter alone) or plain (neither)")
	fs.Parse(args)
	if *root == "" || *addrFile == "" {
		return fmt.Errorf("serve: -root and -addr-file are required")
	}
	config := "'http.receivepack=true'"
	switch *as {
	case "github":
		config += " 'uploadpack.allowfilter=true' 'uploadpack.allowreachablesha1inwant=true' 'receive.hiderefs=refs/pull'"
	case "filter":
		config += " 'uploadpack.allowfilter=true'"
	case "plain":
	default:
		return fmt.Errorf("serve: -as %q: want github, filter or plain", *as)
	}
	abs, err := filepath.Abs(*root)
	if err != nil {
		return err
	}
	execPath, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		return fmt.Errorf("git --exec-path: %w", err)
	}
	backend := &cgi.Handler{
		Path:   filepath.Join(strings.TrimSpace(string(execPath)), "git-http-backend"),
		Stderr: os.Stderr,
		Env: []string{"GIT_PROJECT_ROOT=" + abs, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1",
			"GIT_CONFIG_PARAMETERS=" + config, "HOME=" + abs},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	if err := os.WriteFile(*addrFile, []byte("http://"+ln.Addr().String()+"\n"), 0o644); err != nil {
		return err
	}
	if *v0 {
		return http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Header.Del("Git-Protocol")
			backend.ServeHTTP(w, r)
		}))
	}
	return http.Serve(ln, backend)
}

func appendRecord(args []string) error {
	fs := flag.NewFlagSet("append", flag.ExitOnError)
	url := fs.String("url", "", "repository URL")
	commit := fs.String("commit", "", "full SHA of the commit to record")
	pr := fs.Int("pr", 1, "pull request number in the record")
	fs.Parse(args)
	if *url == "" || *commit == "" {
		return fmt.Errorf("append: -url and -commit are required")
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sum := sha1.Sum(fmt.Appendf(nil, "bench head %d", *pr))
	head := hex.EncodeToString(sum[:])
	rec := tracker.Record{
		V: 1, Type: tracker.RecordMerge, Repo: "acme/site", PR: *pr, Briefs: []int{*pr},
		Title: "Benchmark merge", Base: "main", Head: head, Commit: *commit,
		MergedBy: "lead", MergedAt: at, Method: "merge", Required: []string{"usability", "backend"},
		Signoffs: []tracker.RecordSignoff{
			{Kind: "usability", Login: "ux-lead", ID: 1001, SHA: head, Via: "review", URL: fmt.Sprintf("https://github.com/acme/site/pull/%d#pullrequestreview-1", *pr), At: at},
			{Kind: "backend", Login: "be-lead", ID: 1002, SHA: head, Via: "comment", URL: fmt.Sprintf("https://github.com/acme/site/pull/%d#issuecomment-2", *pr), At: at},
		},
		Verdict: tracker.VerdictPass, Policy: "3b18e512dba79e4c8300dd08aeb37f8e728b8dad",
	}
	if len(fs.Args()) > 0 {
		return fmt.Errorf("append: unexpected arguments %q", fs.Args())
	}
	if os.Getenv("BENCH_PRINT_LINE") != "" { // the same line, for git notes append
		line, err := rec.MarshalLine()
		if err != nil {
			return err
		}
		_, err = os.Stdout.Write(line)
		return err
	}
	if path := os.Getenv("BENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	return gitstore.OpenRemote(*url, nil).AppendRecord(context.Background(), *commit, rec)
}
