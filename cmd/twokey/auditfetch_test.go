package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAuditFetchSameAsGitFetch: twokey audit --fetch origin on a fresh
// clone (whole or shallow) reports what twokey audit reports after git
// fetch origin refs/notes/twokey:refs/notes/twokey, the notes fetch aside.
func TestAuditFetchSameAsGitFetch(t *testing.T) {
	up, since, _ := auditHistory(t)
	fetched := regexp.MustCompile(`,?"notes_fetched_from":"[^"]*"`)
	for _, depth := range []string{"", "--depth=3"} {
		t.Run("clone "+depth, func(t *testing.T) {
			clone := func() *auditRepo {
				g := &auditRepo{t: t, dir: t.TempDir(), home: t.TempDir()}
				args := []string{"clone", "-q"}
				if depth != "" {
					args = append(args, depth)
				}
				g.git(append(args, "file://"+up.dir, ".")...)
				return g
			}
			viaTwokey, viaGit := clone(), clone()
			viaGit.git("fetch", "-q", "origin", "refs/notes/twokey:refs/notes/twokey")
			for _, args := range [][]string{{"--json"}, {"--json", "--since", since}, {}} {
				wantCode, want, wantErr := runAuditCmd(t, append([]string{"--repo", viaGit.dir}, args...)...)
				code, got, gotErr := runAuditCmd(t, append([]string{"--repo", viaTwokey.dir, "--fetch", "origin"}, args...)...)
				want, got = fetched.ReplaceAllString(want, ""), fetched.ReplaceAllString(got, "")
				got = strings.Replace(got, ", fetched from origin", "", 1)
				got = strings.ReplaceAll(got, viaTwokey.dir, viaGit.dir)
				if code != wantCode {
					t.Errorf("audit --fetch %v: exit %d, want %d as after git fetch (stderr %q, want %q)", args, code, wantCode, gotErr, wantErr)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("audit --fetch %v diff (-after git fetch +--fetch):\n%s", args, diff)
				}
			}
			for _, args := range [][]string{{"fsck", "--no-dangling"}, {"gc", "-q"}, {"fsck", "--no-dangling"}} {
				viaTwokey.git(args...)
			}
		})
	}
}
