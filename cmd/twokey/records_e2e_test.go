package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"
	"github.com/twokey/twokey/internal/fakegithub"
	"github.com/twokey/twokey/internal/gitserver"
	"github.com/twokey/twokey/tracker"
)

// TestActionRecordsEveryMergeMethod runs the binary's record job for a
// merge, a squash and a rebase merge of signed pull requests and for a direct
// push, on a real repository that it reaches only over HTTP with its token
// (no checkout). `git log --notes=twokey` shows each record on the commit
// that landed, and `twokey audit` classes every commit of the branch: the
// three merges ok (the rebase's other commits with them), the direct push
// direct_push.
func TestActionRecordsEveryMergeMethod(t *testing.T) {
	w := newWorld(t)
	root := t.TempDir()
	bare := filepath.Join(root, "acme", "site.git")
	if err := os.MkdirAll(bare, 0o755); err != nil {
		t.Fatal(err)
	}
	gitCmd(t, bare, "init", "-q", "--bare", "-b", "main")
	gitCmd(t, bare, "config", "http.receivepack", "true")
	w.env["GITHUB_SERVER_URL"], _ = gitserver.Serve(t, root, root, w.env["INPUT_GITHUB_TOKEN"])

	work := t.TempDir()
	g := func(args ...string) string { return strings.TrimSpace(gitCmd(t, work, args...)) }
	commit := func(file, msg string) string {
		if err := os.WriteFile(filepath.Join(work, file), []byte(msg+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		g("add", file)
		g("commit", "-q", "-m", msg)
		return g("rev-parse", "HEAD")
	}
	g("init", "-q", "-b", "main")
	base := commit("index.html", "base")
	// #11, merged with a merge commit.
	g("checkout", "-q", "-b", "banner")
	banner := commit("banner.html", "Add the banner")
	g("checkout", "-q", "main")
	g("merge", "-q", "--no-ff", "banner", "-m", "Merge pull request #11 from acme/banner")
	merged := g("rev-parse", "HEAD")
	// #12, squashed.
	g("checkout", "-q", "-b", "cards")
	commit("cards.html", "Saved cards")
	cards := commit("cards.css", "Style the saved cards")
	g("checkout", "-q", "main")
	g("merge", "-q", "--squash", "cards")
	g("commit", "-q", "-m", "Saved cards (#12)")
	squashed := g("rev-parse", "HEAD")
	// #13, rebased: branched before #12, replayed on top of it.
	g("checkout", "-q", "-b", "faq", merged)
	var faq []string
	for _, m := range []string{"Add the FAQ", "Link the FAQ", "Test the FAQ"} {
		faq = append(faq, commit(strings.ReplaceAll(strings.ToLower(m), " ", "-")+".html", m))
	}
	g("checkout", "-q", "main")
	g("cherry-pick", faq[0], faq[1], faq[2])
	rebased := strings.Fields(g("rev-list", "-3", "HEAD"))
	// And a direct push.
	direct := commit("hotfix.html", "Hotfix straight on main")
	g("push", "-q", bare, "main")

	// GitHub's side: the commits, the brief, three signed pull requests.
	for _, line := range strings.Split(g("log", "--all", "--format=%H %P%x00%aI%x00%cI%x00%s"), "\n") {
		f := strings.Split(line, "\x00")
		ids := strings.Fields(f[0])
		ad, _ := time.Parse(time.RFC3339, f[1])
		cd, _ := time.Parse(time.RFC3339, f[2])
		w.gh.AddCommit(e2eRepo, fakegithub.Commit{SHA: ids[0], Parents: ids[1:], Message: f[3], Author: "test", AuthorDate: ad, Committed: cd})
	}
	w.readyBrief()
	w.gh.SetTeamMember("acme/web-ux", "uma", "active")
	w.gh.SetTeamMember("acme/platform", "bea", "active")
	pulls := []struct {
		number       int
		head, landed string
		commits      []string
		method       string
		alsoLanded   []string
	}{
		{11, banner, merged, []string{banner}, "merge", nil},
		{12, cards, squashed, []string{g("rev-parse", "cards~1"), cards}, "squash", nil},
		{13, faq[2], rebased[0], faq, "rebase", rebased[1:]},
	}
	for _, p := range pulls {
		pr := w.gh.AddPull(e2eRepo, fakegithub.Pull{Number: p.number, Title: "Change", Body: "Brief: #1", User: fakegithub.User("dev", 7),
			Head: p.head, Files: []string{"index.html"}, Merged: true, MergedBy: fakegithub.User("lead", 9), Merge: p.landed})
		// Merged a minute after the approvals below (one in the merge's
		// second is not known to be before it).
		pr.MergedAt = &github.Timestamp{Time: pr.GetMergedAt().Add(time.Minute)}
		w.gh.SetPullCommits(e2eRepo, p.number, p.commits...)
		w.gh.AddReview(e2eRepo, p.number, fakegithub.User("uma", 11), "APPROVED", "", p.head)
		w.gh.AddReview(e2eRepo, p.number, fakegithub.User("bea", 12), "APPROVED", "", p.head)
		w.gh.SetCommitPulls(e2eRepo, p.landed, p.number)
		r := w.run("pull_request_target", "pull_request.closed.json", func(m map[string]any) {
			prEvent(p.number, p.head)(m)
			set(m, "pull_request.merged", true)
			set(m, "pull_request.merge_commit_sha", p.landed)
			set(m, "pull_request.merged_by", user("lead", 9))
		})
		assertOK(t, r)
		if r.outputs["verdict"] != tracker.VerdictPass {
			t.Errorf("#%d: verdict %q, want pass\n%s", p.number, r.outputs["verdict"], r.stdout)
		}
	}
	r := w.run("push", "push.json", func(m map[string]any) {
		set(m, "ref", "refs/heads/main")
		set(m, "after", direct)
		m["commits"] = []any{map[string]any{"id": direct, "message": "Hotfix straight on main", "timestamp": "2026-03-02T10:00:00Z"}}
		m["pusher"] = map[string]any{"name": "night-owl", "email": "owl@example.com"}
	})
	assertOK(t, r)

	// Plain git reads the records from the remote.
	g("fetch", "-q", bare, "refs/notes/twokey:refs/notes/twokey")
	for _, p := range pulls {
		note := g("notes", "--ref=twokey", "show", p.landed)
		recs, skipped := tracker.ParseRecords([]byte(note))
		if len(recs) != 1 || skipped != 0 || recs[0].PR != p.number || recs[0].Method != p.method || !cmp.Equal(recs[0].Landed, p.alsoLanded) {
			t.Errorf("git notes show %s = %q, want one %s record of #%d landing %v", p.landed[:7], note, p.method, p.number, p.alsoLanded)
		}
	}
	if log := g("log", "--notes=twokey", "-1", "--format=%N", direct); !strings.Contains(log, `"verdict":"direct_push"`) || !strings.Contains(log, `"merged_by":"night-owl"`) {
		t.Errorf("git log --notes=twokey on the direct push = %q, want its direct_push record", log)
	}

	// The audit, offline, on the clone.
	cmd := exec.Command(w.bin, "audit", "--repo", work, "--ref", "main", "--format", "json")
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitNotOK {
		t.Fatalf("twokey audit = %v, want exit 1 (a direct push and the unrecorded base)\n%s", err, out)
	}
	var rep struct {
		Summary map[string]int `json:"summary"`
		Entries []struct {
			Commit string `json:"commit"`
			Class  string `json:"class"`
			PR     int    `json:"pr"`
		} `json:"entries"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("audit JSON: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, e := range rep.Entries {
		got[e.Commit] = e.Class
	}
	want := map[string]string{
		direct: "direct_push", rebased[0]: "ok", rebased[1]: "ok", rebased[2]: "ok",
		squashed: "ok", merged: "ok", base: "no_record",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit classes (-want +got):\n%s", diff)
	}
	if rep.Summary["ok"] != 5 || rep.Summary["direct_push"] != 1 || rep.Summary["no_record"] != 1 || rep.Summary["total"] != 7 {
		t.Errorf("audit summary = %v, want 5 ok, 1 direct_push, 1 no_record of 7", rep.Summary)
	}
}
