package action

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/twokey/twokey/internal/fakegithub"
	"github.com/twokey/twokey/tracker"
)

// The attacks on the gate, each run end to end against the fake GitHub,
// which keeps what GitHub keeps: timelines (force pushes, base changes,
// comment deletions), edit histories with their editors, dismissals, and
// statuses with their creators. uma signs usability, bea backend; mallory
// has write access and may sign nothing; dev wrote the pull request.

var (
	uma     = fakegithub.User("uma", 11)
	bea     = fakegithub.User("bea", 12)
	mallory = fakegithub.User("mallory", 66)
	dev     = fakegithub.User("dev", 7)
)

// attackWorld is a pull request #2 at sha1A under the uma/bea policy, with a
// clock that moves on a minute after every run.
type attackWorld struct {
	*harness
	now time.Time
}

func newAttackWorld(t *testing.T) *attackWorld {
	h := newHarness(t)
	w := &attackWorld{harness: h, now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	h.gh.SetNow(func() time.Time { return w.now })
	h.gh.SetFile(testRepo, "main", ".github/twokey.yml", umaBeaPolicy+"link:\n  required: false\n")
	h.gh.AddPull(testRepo, fakegithub.Pull{Number: 2, Title: "t", User: dev, Head: sha1A})
	return w
}

// judge runs a pull request event and returns the status on head.
func (w *attackWorld) judge(head string) *github.RepoStatus {
	w.t.Helper()
	if code := w.run("pull_request_target", "pull_request.opened.json", map[string]any{"pull_request.number": 2, "pull_request.head.sha": head}); code != ExitOK {
		w.t.Fatalf("Run = %d\n%s", code, w.stdout.String())
	}
	w.now = w.now.Add(time.Minute)
	return w.gh.LatestStatus(testRepo, head, StatusContext)
}

// signBoth has uma and bea sign the head with /signoff comments after
// twokey has seen it, and checks the gate passes.
func (w *attackWorld) signBoth(head string) {
	w.t.Helper()
	w.judge(head)
	w.gh.AddComment(testRepo, 2, uma, "/signoff usability")
	w.gh.AddComment(testRepo, 2, bea, "/signoff backend")
	if st := w.judge(head); st.GetState() != "success" {
		w.t.Fatalf("status after both signed = %v, want success", st)
	}
}

func (w *attackWorld) comment() string {
	return w.gh.Comments(testRepo, 2)[0].GetBody()
}

// Attack 1: uma and bea sign S; main gets a fix; dev pushes H = git merge -s
// ours main on S. tree(H) = tree(S), but merging H reverts the fix.
func TestAttackSameTreeOnAMovedBase(t *testing.T) {
	w := newAttackWorld(t)
	base, fix := strings.Repeat("0", 40), strings.Repeat("f", 40)
	w.gh.AddCommit(testRepo, fakegithub.Commit{SHA: sha1A, Parents: []string{base}, Tree: "tree-s"})
	w.signBoth(sha1A)
	h := strings.Repeat("9", 40)
	w.gh.AddCommit(testRepo, fakegithub.Commit{SHA: h, Parents: []string{sha1A, fix}, Tree: "tree-s"})
	w.gh.SetPullCommits(testRepo, 2, sha1A, h)
	w.gh.SetHead(testRepo, 2, h)
	if st := w.judge(h); st.GetState() != "pending" || !strings.Contains(st.GetDescription(), "stale") {
		t.Errorf("status on the ours-merge = %v, want pending with stale keys", st)
	}

}

// An amended message (same tree, same parents: the diff that would merge is
// provably the one signed) keeps the keys across its force push.
func TestAmendedMessageKeepsKeys(t *testing.T) {
	w := newAttackWorld(t)
	base := strings.Repeat("0", 40)
	w.gh.AddCommit(testRepo, fakegithub.Commit{SHA: sha1A, Parents: []string{base}, Tree: "tree-s"})
	w.signBoth(sha1A)
	amend := strings.Repeat("8", 40)
	w.gh.AddCommit(testRepo, fakegithub.Commit{SHA: amend, Parents: []string{base}, Tree: "tree-s"})
	w.gh.SetPullCommits(testRepo, 2, amend)
	w.gh.ForcePush(testRepo, 2, amend, dev)
	if st := w.judge(amend); st.GetState() != "success" {
		t.Errorf("status on an amended message = %v, want success", st)
	}
	if !strings.Contains(w.comment(), "`aaaaaaa` (same tree as head)") {
		t.Errorf("the comment does not show the keys kept from the signed commit:\n%s", w.comment())
	}
}

// Attack 2: keys given on a docs-only diff into experimental stay when dev
// retargets the pull request to main.
func TestAttackBaseRetarget(t *testing.T) {
	w := newAttackWorld(t)
	w.signBoth(sha1A)
	w.gh.ChangeBase(testRepo, 2, "experimental-to-main", dev)
	st := w.judge(sha1A)
	if st.GetState() != "pending" || !strings.Contains(st.GetDescription(), "stale") {
		t.Errorf("status after the base changed = %v, want pending with stale keys", st)
	}
	if !strings.Contains(w.comment(), "the base branch changed to experimental-to-main after it was given") {
		t.Errorf("the comment does not say why the keys are stale:\n%s", w.comment())
	}
	// Signing again after the change counts.
	w.gh.AddComment(testRepo, 2, uma, "/signoff usability")
	w.gh.AddComment(testRepo, 2, bea, "/signoff backend")
	if st := w.judge(sha1A); st.GetState() != "success" {
		t.Errorf("status after signing again = %v, want success", st)
	}
}

// Attack 3: dev makes X known (a review on it), pushes H whose first 7 hex
// digits equal X's; uma and bea sign "/signoff <kind> <7 chars>" meaning H;
// dev force-pushes X back.
func TestAttackPlantedShortSHA(t *testing.T) {
	w := newAttackWorld(t)
	x := "abcdef1" + strings.Repeat("1", 33)
	h := "abcdef1" + strings.Repeat("2", 33)
	w.gh.SetHead(testRepo, 2, x)
	w.judge(x)
	w.gh.AddReview(testRepo, 2, dev, "COMMENTED", "wip", x)
	w.gh.ForcePush(testRepo, 2, h, dev)
	w.judge(h)
	w.gh.AddComment(testRepo, 2, uma, "/signoff usability abcdef1")
	w.gh.AddComment(testRepo, 2, bea, "/signoff backend abcdef1")
	if st := w.judge(h); st.GetState() != "pending" {
		t.Errorf("status on H = %v, want pending: the short SHA names two commits", st)
	}
	w.gh.ForcePush(testRepo, 2, x, dev)
	if st := w.judge(x); st.GetState() != "pending" {
		t.Errorf("status after X was pushed back = %v, want pending: nobody signed X", st)
	}
	if !strings.Contains(w.comment(), "abcdef1 names more than one commit of this pull request") {
		t.Errorf("the comment does not say the short SHA is ambiguous:\n%s", w.comment())
	}
}

// Attack 4: force pushes A→B→A→B between runs: a /signoff made while A was
// the head never binds to B.
func TestAttackForcePushesBackAndForth(t *testing.T) {
	w := newAttackWorld(t)
	b := strings.Repeat("b", 40)
	w.judge(sha1A)
	w.gh.ForcePush(testRepo, 2, b, dev)
	w.now = w.now.Add(time.Minute)
	w.gh.ForcePush(testRepo, 2, sha1A, dev)
	w.now = w.now.Add(time.Minute)
	w.gh.AddComment(testRepo, 2, uma, "/signoff usability") // made on A
	w.gh.AddComment(testRepo, 2, bea, "/signoff backend")
	w.now = w.now.Add(time.Minute)
	w.gh.ForcePush(testRepo, 2, b, dev)
	if st := w.judge(b); st.GetState() != "pending" {
		t.Errorf("status on B = %v, want pending: the sign-offs were made on A", st)
	}
	// Back on A, the sign-offs count: the force pushes say A was the head.
	w.gh.ForcePush(testRepo, 2, sha1A, dev)
	if st := w.judge(sha1A); st.GetState() != "success" {
		t.Errorf("status back on A = %v, want success", st)
	}
}

// Attack 6: mallory dismisses bea's request for changes, or deletes uma's
// revoke: neither gives a key back.
func TestAttackWithdrawalsUndoneByOthers(t *testing.T) {
	t.Run("dismissal", func(t *testing.T) {
		w := newAttackWorld(t)
		w.signBoth(sha1A)
		cr := w.gh.AddReview(testRepo, 2, bea, "CHANGES_REQUESTED", "the query is slow", sha1A)
		if st := w.judge(sha1A); st.GetState() != "pending" {
			t.Fatalf("status after bea requested changes = %v, want pending", st)
		}
		w.gh.DismissReview(testRepo, 2, cr.GetID(), mallory)
		if st := w.judge(sha1A); st.GetState() != "pending" {
			t.Errorf("status after mallory dismissed bea's review = %v, want pending", st)
		}
		w.gh.AddReview(testRepo, 2, bea, "APPROVED", "", sha1A)
		if st := w.judge(sha1A); st.GetState() != "success" {
			t.Errorf("status after bea approved again = %v, want success", st)
		}
	})
	t.Run("deletion", func(t *testing.T) {
		w := newAttackWorld(t)
		w.signBoth(sha1A)
		revoke := w.gh.AddComment(testRepo, 2, uma, "/signoff revoke usability")
		if st := w.judge(sha1A); st.GetState() != "pending" {
			t.Fatalf("status after uma's revoke = %v, want pending", st)
		}
		w.gh.DeleteComment(testRepo, revoke.GetID(), mallory)
		if st := w.judge(sha1A); st.GetState() != "pending" {
			t.Errorf("status after mallory deleted the revoke = %v, want pending", st)
		}
		if !strings.Contains(w.comment(), "@\u200bmallory deleted a comment of @\u200buma") {
			t.Errorf("the comment does not say why uma's key stays withdrawn:\n%s", w.comment())
		}
	})
}

// Attack 7: an edit of a comment less than a second after it was made:
// mallory turns bea's "not yet" into /signoff backend.
func TestAttackEditWithinASecond(t *testing.T) {
	w := newAttackWorld(t)
	w.judge(sha1A)
	w.gh.AddComment(testRepo, 2, uma, "/signoff usability")
	c := w.gh.AddComment(testRepo, 2, bea, "not yet")
	w.gh.EditCommentAs(testRepo, c.GetID(), "/signoff backend", w.now.Add(300*time.Millisecond), mallory)
	if st := w.judge(sha1A); st.GetState() != "pending" {
		t.Errorf("status = %v, want pending: mallory's edit signs nothing", st)
	}
}

// Attack 8: the head moves while twokey reads a pull request over several
// requests: nothing is judged from mixed data, nothing is written.
func TestAttackHeadMovesDuringTheRead(t *testing.T) {
	w := newAttackWorld(t)
	for i := 0; i < 120; i++ {
		w.gh.AddComment(testRepo, 2, dev, "chatter")
	}
	b := strings.Repeat("b", 40)
	reads := 0
	w.gh.SetAfter(func(r fakegithub.Request) {
		if r.Path == "/graphql" {
			if reads++; reads == 1 {
				w.gh.SetHead(testRepo, 2, b) // a push between the first page and the next
			}
		}
	})
	if code := w.run("pull_request_target", "pull_request.opened.json", map[string]any{"pull_request.number": 2, "pull_request.head.sha": sha1A}); code != ExitOK {
		t.Fatalf("Run = %d\n%s", code, w.stdout.String())
	}
	if wr := w.gh.Writes(); len(wr) != 0 {
		t.Errorf("a run whose head moved under it wrote %v", wr)
	}
	if !strings.Contains(w.stdout.String(), "the head moved while twokey read it") {
		t.Errorf("stdout = %q, want a notice that the head moved", w.stdout.String())
	}
}

// A renamed file's previous name comes from the compare API, named by the
// head judged: moving a file out of a guarded path is a change to it.
func TestRenamedFilesAreThoseOfTheHead(t *testing.T) {
	w := newAttackWorld(t)
	w.gh.SetFile(testRepo, "main", ".github/twokey.yml", umaBeaPolicy+"  - paths: [\"payments/**\"]\n    kinds: [vendor]\nlink:\n  required: false\n")
	w.gh.SetFile(testRepo, "main", ".github/twokey.yml", strings.Replace(umaBeaPolicy, "kinds:\n", "kinds:\n  vendor:\n    users: [ivan]\n", 1)+"  - paths: [\"payments/**\"]\n    kinds: [vendor]\nlink:\n  required: false\n")
	w.gh.RenameFile(testRepo, 2, "payments/card.go", "misc/card.go")
	st := w.judge(sha1A)
	if !strings.Contains(st.GetDescription(), "vendor") {
		t.Errorf("status = %v, want vendor required by the rename out of payments/", st)
	}
	var compared bool
	for _, r := range w.gh.Requests() {
		compared = compared || strings.HasSuffix(r.Path, "/compare/"+strings.Repeat("0", 40)+"..."+sha1A)
	}
	if !compared {
		t.Errorf("requests = %v, want the compare API named by the head", w.gh.Requests())
	}
}

// Lists past 100 entries are read whole: a revoke on the second page of
// comments, and a force push on the second page of the timeline, still count.
func TestSecondPagesAreRead(t *testing.T) {
	w := newAttackWorld(t)
	w.signBoth(sha1A)
	for i := 0; i < 120; i++ {
		w.gh.AddComment(testRepo, 2, dev, "chatter")
	}
	w.gh.AddComment(testRepo, 2, uma, "/signoff revoke usability")
	if st := w.judge(sha1A); st.GetState() != "pending" {
		t.Errorf("status after a revoke on the second page = %v, want pending", st)
	}
	var graphql int
	for _, r := range w.gh.Requests() {
		if r.Path == "/graphql" {
			graphql++
		}
	}
	if graphql != 2 {
		t.Errorf("GraphQL requests = %d, want 2 (the read and the comments' second page)", graphql)
	}
}

// runEvent runs an event on pull request #2 and returns the exit code,
// moving the clock on a minute.
func (w *attackWorld) runEvent(event, fixture string, patch map[string]any) int {
	w.t.Helper()
	code := w.run(event, fixture, patch)
	w.now = w.now.Add(time.Minute)
	return code
}

// Finding: dev (no write access) made every later run fail by linking a
// brief number GraphQL cannot carry (past 32 bits, in the description or
// the branch): GitHub refuses the query, nothing was written, and the
// success given before a revoke stayed on the head. Numbers past 32 bits
// are not issue numbers now, and a run that cannot judge puts an error on
// a head whose twokey status is a success (keeping twokey's mark of it).
func TestAttackRunThatCannotJudgeKeepsSuccess(t *testing.T) {
	for name, poison := range map[string]func(w *attackWorld){
		"link in the description": func(w *attackWorld) { w.gh.SetIssueBody(testRepo, 2, "Brief: #3000000000") },
		"link in the branch": func(w *attackWorld) {
			w.gh.AddPull(testRepo, fakegithub.Pull{Number: 2, Title: "t", User: dev, Head: sha1A, Branch: "brief-3000000000"})
		},
		"query refused": func(w *attackWorld) {
			w.gh.Fail(fakegithub.Fault{Path: "/graphql", BodyContains: "pullRequest(number:$number)", Times: 1, Status: 200,
				Body: `{"errors":[{"type":"MAX_NODE_LIMIT_EXCEEDED","message":"This query requests up to 600,000 nodes"}]}`})
		},
	} {
		t.Run(name, func(t *testing.T) {
			w := newAttackWorld(t)
			w.signBoth(sha1A)
			w.gh.AddComment(testRepo, 2, bea, "/signoff revoke backend")
			poison(w)
			w.runEvent("pull_request_target", "pull_request.opened.json", map[string]any{"action": "edited", "pull_request.number": 2, "pull_request.head.sha": sha1A})
			st := w.gh.LatestStatus(testRepo, sha1A, StatusContext)
			if st.GetState() == "success" {
				t.Fatalf("status after bea's revoke = %v, want anything but success\n%s", st, w.stdout.String())
			}
			if !strings.Contains(st.GetTargetURL(), "#twokey-pr2-seen1772445600") {
				t.Errorf("status target = %q, want twokey's mark of the head carried on", st.GetTargetURL())
			}
			// Once GitHub answers, the gate judges as if nothing happened:
			// uma's key (whose binding rests on that mark) still counts.
			w.gh.ClearFaults()
			w.gh.AddComment(testRepo, 2, bea, "/signoff backend")
			if st := w.judge(sha1A); st.GetState() != "success" {
				t.Errorf("status after bea signed again = %v, want success\n%s", st, w.comment())
			}
		})
	}
}

// Finding: the parents of a commit were read with parents(first:3), so an
// octopus merge signed as S = merge(f, x, y, old main) and pushed again as
// H = merge -s ours (f, x, y, new main) had "the same tree and the same
// parents" and kept both keys: merging H reverts what main gained. dev
// needs no write access; keep_on_same_tree is on by default.
func TestAttackOctopusKeepsKeys(t *testing.T) {
	w := newAttackWorld(t)
	f, x, y := strings.Repeat("1", 40), strings.Repeat("2", 40), strings.Repeat("3", 40)
	oldMain, newMain := strings.Repeat("0", 40), strings.Repeat("f", 40)
	w.gh.AddCommit(testRepo, fakegithub.Commit{SHA: sha1A, Parents: []string{f, x, y, oldMain}, Tree: "tree-s"})
	w.signBoth(sha1A)
	h := strings.Repeat("9", 40)
	w.gh.AddCommit(testRepo, fakegithub.Commit{SHA: h, Parents: []string{f, x, y, newMain}, Tree: "tree-s"})
	w.gh.SetPullCommits(testRepo, 2, h)
	w.gh.ForcePush(testRepo, 2, h, dev)
	if st := w.judge(h); st.GetState() != "pending" || !strings.Contains(st.GetDescription(), "stale") {
		t.Errorf("status on the octopus with a new fourth parent = %v, want pending with stale keys", st)
	}
}

// Finding: past the last page twokey reads of a list (100 pages of 100:
// 10,000 comments, reviews or timeline events), the rest was dropped
// without a word. dev (no write access; GitHub lets an account create 500
// pieces of content an hour) pads the pull request with comments; bea's
// later revoke is then never read and her approval stands. A list twokey
// cannot read to its end leaves the pull request unjudged, never judged
// on part of it.
func TestAttackPaddingHidesARevoke(t *testing.T) {
	defer func(n int) { maxPages["comments"] = n }(maxPages["comments"])
	maxPages["comments"] = 2 // 200 comments stand for 10,000
	w := newAttackWorld(t)
	w.judge(sha1A)
	w.gh.AddReview(testRepo, 2, uma, "APPROVED", "", sha1A)
	w.gh.AddReview(testRepo, 2, bea, "APPROVED", "", sha1A)
	for range 199 { // with twokey's own comment, the 200 read
		w.gh.AddComment(testRepo, 2, dev, "chatter")
	}
	if st := w.judge(sha1A); st.GetState() != "success" {
		t.Fatalf("status after both approved = %v, want success", st)
	}
	w.gh.AddComment(testRepo, 2, bea, "/signoff revoke backend")
	w.runEvent("issue_comment", "issue_comment.created.on-pull-request.json", map[string]any{"issue.number": 2})
	st := w.gh.LatestStatus(testRepo, sha1A, StatusContext)
	if st.GetState() == "success" {
		t.Errorf("status after bea's revoke past the comments read = %v, want anything but success", st)
	}
	if !strings.Contains(st.GetDescription(), "comments") {
		t.Errorf("status description = %q, want it to say there are more comments than twokey reads", st.GetDescription())
	}
}

// Finding: a commit status belongs to a commit, not to a pull request.
// dev (no write access) opens #3 with the same head as #2 into another
// base (experimental, where the diff is small), gets it signed there, and
// any event on #3 put "success" on the head that #2 into main shares: the
// required check on #2 passed with keys given on another change. Nor may a
// closed pull request's run set the status of a head an open one uses.
func TestAttackSecondPullRequestOnTheSameHead(t *testing.T) {
	for _, tc := range []struct {
		name           string
		closeIt, stale bool
	}{{"open", false, false}, {"closed", true, false}, {"head ref lags", false, true}} {
		closeIt := tc.closeIt
		t.Run(tc.name, func(t *testing.T) {
			w := newAttackWorld(t)
			w.gh.AddPull(testRepo, fakegithub.Pull{Number: 3, Title: "docs", User: dev, Head: sha1A, Base: "experimental"})
			if tc.stale {
				// refs/pull/3/head still names the head before a push: the
				// REST listing of the commit's pull requests decides.
				w.gh.SetPullRef(testRepo, 3, strings.Repeat("7", 40))
				w.gh.SetCommitPulls(testRepo, sha1A, 2, 3)
			}
			if st := w.judge(sha1A); st.GetState() != "pending" {
				t.Fatalf("status of #2 = %v, want pending", st)
			}
			w.gh.AddReview(testRepo, 3, uma, "APPROVED", "docs only", sha1A)
			w.gh.AddReview(testRepo, 3, bea, "APPROVED", "docs only", sha1A)
			ev := map[string]any{"pull_request.number": 3, "pull_request.head.sha": sha1A, "pull_request.base.ref": "experimental"}
			if closeIt {
				w.gh.ClosePull(testRepo, 3, dev)
				w.gh.AddComment(testRepo, 3, dev, "thanks")
				w.runEvent("issue_comment", "issue_comment.created.on-pull-request.json", map[string]any{"issue.number": 3})
			} else {
				w.runEvent("pull_request_target", "pull_request.opened.json", ev)
			}
			st := w.gh.LatestStatus(testRepo, sha1A, StatusContext)
			if st.GetState() == "success" {
				t.Errorf("status on the head #2 and #3 share = %v, want anything but success: nobody signed #2", st)
			}
			if !closeIt && !strings.Contains(st.GetDescription(), "also the head of #2") {
				t.Errorf("status of #3 = %q, want it to say #2 shares its head", st.GetDescription())
			}
		})
	}
}

// Finding: twokey ran on created comments only. uma edits her own
// "/signoff usability" into "/signoff revoke usability", or deletes it, or
// mallory edits it (which voids it): the key is gone, but no run came and
// the success stayed on the head until some other event. Edits and
// deletions of comments are events the gate answers.
func TestAttackWithdrawalByEditOrDeletionTakesEffect(t *testing.T) {
	for name, withdraw := range map[string]func(w *attackWorld, id int64) string{
		"edited into a revoke by its author": func(w *attackWorld, id int64) string {
			w.gh.EditComment(testRepo, id, "/signoff revoke usability", w.now)
			return "edited"
		},
		"deleted by its author": func(w *attackWorld, id int64) string {
			w.gh.DeleteComment(testRepo, id, uma)
			return "deleted"
		},
		"edited by someone else": func(w *attackWorld, id int64) string {
			w.gh.EditCommentAs(testRepo, id, "/signoff usability", w.now, mallory)
			return "edited"
		},
	} {
		t.Run(name, func(t *testing.T) {
			w := newAttackWorld(t)
			w.judge(sha1A)
			c := w.gh.AddComment(testRepo, 2, uma, "/signoff usability")
			w.gh.AddComment(testRepo, 2, bea, "/signoff backend")
			if st := w.judge(sha1A); st.GetState() != "success" {
				t.Fatalf("status after both signed = %v, want success", st)
			}
			action := withdraw(w, c.GetID())
			if code := w.runEvent("issue_comment", "issue_comment.created.on-pull-request.json", map[string]any{"action": action, "issue.number": 2, "comment.id": c.GetID()}); code != ExitOK {
				t.Fatalf("Run = %d\n%s", code, w.stdout.String())
			}
			if st := w.gh.LatestStatus(testRepo, sha1A, StatusContext); st.GetState() != "pending" {
				t.Errorf("status after uma's key was withdrawn (%s) = %v, want pending", action, st)
			}
		})
	}
}

// An edit of a bot's comment (twokey's own, under an App token whose edits
// start workflows) carries no key: the run reads nothing and writes
// nothing.
func TestBotCommentEditIsNoEvent(t *testing.T) {
	w := newAttackWorld(t)
	w.judge(sha1A)
	if code := w.runEvent("issue_comment", "issue_comment.created.on-pull-request.json", map[string]any{"action": "edited", "issue.number": 2,
		"comment.user.login": "twokey-app[bot]", "comment.user.type": "Bot"}); code != ExitOK {
		t.Fatalf("Run = %d\n%s", code, w.stdout.String())
	}
	if r := w.gh.Requests(); len(r) != 0 {
		t.Errorf("requests = %v, want none", r)
	}
}

// Finding: the merge record judged the gate "as it stood at the merge" by
// dropping every edit and deletion after it, yet read bodies as they are
// now. mallory (write access) merges past the gate, then edits bea's "not
// yet" into "/signoff backend", or deletes bea's revoke, or bea rewrites her
// own comment: re-running the record job wrote "pass". What a comment said
// at the merge is unknown once it was edited after it; a deletion by
// someone else withdraws whenever it came; a comment in the merge's second
// is not known to be before it.
func TestAttackMergeRecordLaundered(t *testing.T) {
	merge := "9ddf41af2d1aeec63f7bb82dd9494dcbd34a3abf"
	for name, tc := range map[string]struct {
		before func(w *attackWorld) int64 // the thread before the merge; returns the comment to act on
		after  func(w *attackWorld, id int64)
	}{
		"edited by someone else after the merge": {
			func(w *attackWorld) int64 { return w.gh.AddComment(testRepo, 2, bea, "not yet").GetID() },
			func(w *attackWorld, id int64) { w.gh.EditCommentAs(testRepo, id, "/signoff backend", w.now, mallory) },
		},
		"edited by its author after the merge": {
			func(w *attackWorld) int64 { return w.gh.AddComment(testRepo, 2, bea, "not yet").GetID() },
			func(w *attackWorld, id int64) { w.gh.EditComment(testRepo, id, "/signoff backend", w.now) },
		},
		"revoke deleted by someone else after the merge": {
			func(w *attackWorld) int64 {
				w.gh.AddComment(testRepo, 2, bea, "/signoff backend")
				w.now = w.now.Add(time.Minute)
				return w.gh.AddComment(testRepo, 2, bea, "/signoff revoke backend").GetID()
			},
			func(w *attackWorld, id int64) { w.gh.DeleteComment(testRepo, id, mallory) },
		},
		"signed in the second of the merge": {
			func(w *attackWorld) int64 { return 0 },
			func(w *attackWorld, id int64) {},
		},
	} {
		t.Run(name, func(t *testing.T) {
			w := newAttackWorld(t)
			w.judge(sha1A)
			w.gh.AddComment(testRepo, 2, uma, "/signoff usability")
			w.now = w.now.Add(time.Minute)
			id := tc.before(w)
			w.now = w.now.Add(time.Minute)
			w.gh.AddPull(testRepo, fakegithub.Pull{Number: 2, Title: "t", User: dev, Head: sha1A, Merged: true, MergedBy: mallory, Merge: merge})
			if id == 0 {
				w.gh.AddComment(testRepo, 2, bea, "/signoff backend") // the merge's second
			}
			w.now = w.now.Add(time.Minute)
			tc.after(w, id)
			w.now = w.now.Add(time.Minute)
			if code := w.runEvent("pull_request_target", "pull_request.closed.json", map[string]any{"pull_request.number": 2, "pull_request.head.sha": sha1A}); code != ExitOK {
				t.Fatalf("Run = %d\n%s", code, w.stdout.String())
			}
			recs := w.records.recs[merge]
			if len(recs) != 1 || recs[0].Verdict != tracker.VerdictBypassed {
				t.Errorf("records = %+v, want one, bypassed: backend was not signed at the merge", recs)
			}
		})
	}
}

// Runs for one pull request overlap (a brief's edit or a re-check judges it
// beside its own run), and dev can make a run's read last long (a thread
// of thousands of comments is read a page at a time). Here the run for
// bea's /signoff reads both keys; before it writes, uma revokes hers and
// the run for the revoke sets pending; then the first run sets its
// success. A success is confirmed by reading the pull request again after
// it is set, so the gate ends pending.
func TestAttackStaleSuccessAfterWithdrawal(t *testing.T) {
	w := newAttackWorld(t)
	w.judge(sha1A)
	w.gh.AddComment(testRepo, 2, uma, "/signoff usability")
	if st := w.judge(sha1A); st.GetState() != "pending" {
		t.Fatalf("status with one key = %v, want pending", st)
	}
	w.gh.AddComment(testRepo, 2, bea, "/signoff backend")
	nested := false
	w.gh.SetAfter(func(r fakegithub.Request) {
		if nested || r.Path != "/graphql" || !strings.Contains(string(r.Body), "pullRequest(number") {
			return
		}
		nested = true // between this run's read and its writes
		w.now = w.now.Add(time.Minute)
		w.gh.AddComment(testRepo, 2, uma, "/signoff revoke usability")
		if code := w.run("issue_comment", "issue_comment.created.on-pull-request.json", map[string]any{"issue.number": 2}); code != ExitOK {
			t.Errorf("the revoke's run = %d\n%s", code, w.stdout.String())
		}
		if st := w.gh.LatestStatus(testRepo, sha1A, StatusContext); st.GetState() != "pending" {
			t.Errorf("status after the revoke's run = %v, want pending", st)
		}
	})
	if code := w.run("issue_comment", "issue_comment.created.on-pull-request.json", map[string]any{"issue.number": 2}); code != ExitOK {
		t.Fatalf("bea's run = %d\n%s", code, w.stdout.String())
	}
	w.gh.SetAfter(nil)
	if !nested {
		t.Fatal("the runs did not overlap")
	}
	if st := w.gh.LatestStatus(testRepo, sha1A, StatusContext); st.GetState() != "pending" {
		t.Errorf("status after both runs = %v, want pending: uma withdrew her key", st)
	}
	if !strings.Contains(w.stdout.String(), "the gate changed while twokey judged it") {
		t.Errorf("stdout = %q, want a notice that the gate changed", w.stdout.String())
	}
}

// Finding: a success was confirmed only when every write of the run
// succeeded. As in TestAttackStaleSuccessAfterWithdrawal, bea's run reads
// both keys and uma's revoke is judged before it writes; then mallory
// (write access) deletes twokey's gate comment. bea's run sets its
// success, fails to edit the comment that is gone, and stopped there: the
// success stood without its confirming read. A success that was set is
// confirmed whatever failed after it.
func TestAttackStaleSuccessWhenALaterWriteFails(t *testing.T) {
	w := newAttackWorld(t)
	w.judge(sha1A)
	w.gh.AddComment(testRepo, 2, uma, "/signoff usability")
	if st := w.judge(sha1A); st.GetState() != "pending" {
		t.Fatalf("status with one key = %v, want pending", st)
	}
	w.gh.AddComment(testRepo, 2, bea, "/signoff backend")
	nested := false
	w.gh.SetAfter(func(r fakegithub.Request) {
		if nested || r.Path != "/graphql" || !strings.Contains(string(r.Body), "pullRequest(number") {
			return
		}
		nested = true
		w.now = w.now.Add(time.Minute)
		w.gh.AddComment(testRepo, 2, uma, "/signoff revoke usability")
		if code := w.run("issue_comment", "issue_comment.created.on-pull-request.json", map[string]any{"issue.number": 2}); code != ExitOK {
			t.Errorf("the revoke's run = %d\n%s", code, w.stdout.String())
		}
		for _, c := range w.gh.Comments(testRepo, 2) {
			if strings.HasPrefix(c.GetBody(), gateMarker) {
				w.gh.DeleteComment(testRepo, c.GetID(), mallory)
			}
		}
	})
	w.run("issue_comment", "issue_comment.created.on-pull-request.json", map[string]any{"issue.number": 2})
	w.gh.SetAfter(nil)
	if !nested {
		t.Fatal("the runs did not overlap")
	}
	if st := w.gh.LatestStatus(testRepo, sha1A, StatusContext); st.GetState() == "success" {
		t.Errorf("status after both runs = %v, want no success: uma withdrew her key", st)
	}
}

// Finding: the read that confirms a success gave up without a word when
// the head moved during it (dev pushes while a thread of more than 100
// comments is read a page at a time). The success set after uma's revoke
// was judged stayed on the head it was set on, unconfirmed; when dev
// pushes that head back, branch protection (and auto-merge) sees it pass
// until the run for that push judges it. A success that cannot be
// confirmed is replaced by an error status on the head it was set on.
func TestAttackStaleSuccessWhenTheHeadMovesDuringItsConfirmation(t *testing.T) {
	w := newAttackWorld(t)
	for i := 0; i < 120; i++ {
		w.gh.AddComment(testRepo, 2, dev, "chatter")
	}
	w.judge(sha1A)
	w.gh.AddComment(testRepo, 2, uma, "/signoff usability")
	if st := w.judge(sha1A); st.GetState() != "pending" {
		t.Fatalf("status with one key = %v, want pending", st)
	}
	w.gh.AddComment(testRepo, 2, bea, "/signoff backend")
	b := strings.Repeat("b", 40)
	nested, armed, pushed := false, false, false
	w.gh.SetAfter(func(r fakegithub.Request) {
		switch {
		case !nested && r.Path == "/graphql" && strings.Contains(string(r.Body), "$after:String!"):
			nested = true // after bea's run's last page, before its writes
			w.now = w.now.Add(time.Minute)
			w.gh.AddComment(testRepo, 2, uma, "/signoff revoke usability")
			if code := w.run("issue_comment", "issue_comment.created.on-pull-request.json", map[string]any{"issue.number": 2}); code != ExitOK {
				t.Errorf("the revoke's run = %d\n%s", code, w.stdout.String())
			}
		case nested && !armed && strings.HasSuffix(r.Path, "/statuses/"+sha1A) && strings.Contains(string(r.Body), `"success"`):
			armed = true // bea's run set its success: its confirming read comes next
		case armed && !pushed && r.Path == "/graphql":
			pushed = true // dev pushes between the first page of that read and the next
			w.gh.ForcePush(testRepo, 2, b, dev)
		}
	})
	w.run("issue_comment", "issue_comment.created.on-pull-request.json", map[string]any{"issue.number": 2})
	w.gh.SetAfter(nil)
	if !pushed {
		t.Fatalf("the runs did not overlap as planned (nested %v, success set %v)", nested, armed)
	}
	if st := w.gh.LatestStatus(testRepo, sha1A, StatusContext); st.GetState() == "success" {
		t.Errorf("status on %.7s after bea's run = %v, want no success: uma withdrew her key, and dev can push that head back", sha1A, st)
	}
	// dev pushes it back: the run for that push judges it pending.
	w.gh.ForcePush(testRepo, 2, sha1A, dev)
	if st := w.judge(sha1A); st.GetState() != "pending" {
		t.Errorf("status back on %.7s = %v, want pending", sha1A, st)
	}
}

// A status belongs to a commit. uma and bea sign A; dev force-pushes B; uma
// revokes (judged on B: pending); dev force-pushes A back. A carried the
// success given before the revoke, and branch protection (or auto-merge,
// which acts at once) would see it pass until the run for that push judged
// A. Every run now sets pending on the commits the pull request has left
// that still carry twokey's success for it (its earlier heads, and the
// heads of its force pushes).
func TestAttackSuccessLeftOnAnEarlierHead(t *testing.T) {
	w := newAttackWorld(t)
	b := strings.Repeat("b", 40)
	w.signBoth(sha1A)
	w.gh.ForcePush(testRepo, 2, b, dev)
	w.judge(b)
	w.gh.AddComment(testRepo, 2, uma, "/signoff revoke usability")
	if st := w.judge(b); st.GetState() != "pending" {
		t.Fatalf("status on B after the revoke = %v, want pending", st)
	}
	w.gh.ForcePush(testRepo, 2, sha1A, dev)
	if st := w.gh.LatestStatus(testRepo, sha1A, StatusContext); st.GetState() == "success" {
		t.Errorf("status on A once pushed back, before its run = %v, want no success: uma withdrew her key", st)
	}
}

// The same by a push that is not forced: uma and bea sign A; dev pushes B on
// A (A stays one of the pull request's commits); uma revokes; dev rewinds
// the branch to A. A no longer carries its success.
func TestAttackSuccessLeftOnAnEarlierHeadRewound(t *testing.T) {
	w := newAttackWorld(t)
	base := strings.Repeat("0", 40)
	w.gh.AddCommit(testRepo, fakegithub.Commit{SHA: sha1A, Parents: []string{base}, Tree: "tree-a"})
	w.signBoth(sha1A)
	b := strings.Repeat("b", 40)
	w.gh.AddCommit(testRepo, fakegithub.Commit{SHA: b, Parents: []string{sha1A}, Tree: "tree-b"})
	w.gh.SetPullCommits(testRepo, 2, sha1A, b)
	w.gh.SetHead(testRepo, 2, b)
	w.judge(b)
	if st := w.gh.LatestStatus(testRepo, sha1A, StatusContext); st.GetState() != "pending" || !strings.Contains(st.GetDescription(), "no longer the head of #2") {
		t.Errorf("status on A once B is the head = %v, want pending: no longer the head", st)
	}
	w.gh.AddComment(testRepo, 2, uma, "/signoff revoke usability")
	w.judge(b)
	w.gh.ForcePush(testRepo, 2, sha1A, dev)
	if st := w.gh.LatestStatus(testRepo, sha1A, StatusContext); st.GetState() == "success" {
		t.Errorf("status on A once rewound to, before its run = %v, want no success: uma withdrew her key", st)
	}
	if st := w.judge(sha1A); st.GetState() != "pending" {
		t.Errorf("status on A once judged = %v, want pending", st)
	}
}

// The same race, with the answer to the run's success lost on its way back
// (GitHub set it, then the answer failed, on every retry): the run counts
// the success as maybe set, and confirms it all the same.
func TestAttackStaleSuccessWhoseAnswerWasLost(t *testing.T) {
	w := newAttackWorld(t)
	w.judge(sha1A)
	w.gh.AddComment(testRepo, 2, uma, "/signoff usability")
	w.judge(sha1A)
	w.gh.AddComment(testRepo, 2, bea, "/signoff backend")
	nested := false
	w.gh.SetAfter(func(r fakegithub.Request) {
		if nested || r.Path != "/graphql" || !strings.Contains(string(r.Body), "pullRequest(number") {
			return
		}
		nested = true // between this run's read and its writes
		w.now = w.now.Add(time.Minute)
		w.gh.AddComment(testRepo, 2, uma, "/signoff revoke usability")
		if code := w.run("issue_comment", "issue_comment.created.on-pull-request.json", map[string]any{"issue.number": 2}); code != ExitOK {
			t.Errorf("the revoke's run = %d\n%s", code, w.stdout.String())
		}
		w.gh.Fail(fakegithub.Fault{Method: "POST", Path: "/repos/" + testRepo + "/statuses/" + sha1A, Status: 502, Times: 100, Applied: true, Body: `{"message":"Server Error"}`})
	})
	code := w.run("issue_comment", "issue_comment.created.on-pull-request.json", map[string]any{"issue.number": 2})
	w.gh.SetAfter(nil)
	w.gh.ClearFaults()
	if !nested {
		t.Fatal("the runs did not overlap")
	}
	if code == ExitOK {
		t.Errorf("bea's run = %d, want a failure: its status writes answered 502", code)
	}
	if st := w.gh.LatestStatus(testRepo, sha1A, StatusContext); st.GetState() == "success" {
		t.Errorf("status after both runs = %v, want no success: uma withdrew her key", st)
	}
}
