package action

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/twokey/twokey/internal/fakegithub"
	"github.com/twokey/twokey/tracker"
)

// TestVerifyQuerySchema: the verifying query is valid against GitHub's
// GraphQL schema, and the validation catches a field GitHub does not have.
func TestVerifyQuerySchema(t *testing.T) {
	q := VerifyQuery([]int{1, 2, 50})
	if err := fakegithub.ValidateQuery(q); err != nil {
		t.Errorf("VerifyQuery is not valid against GitHub's schema: %v\n%s", err, q)
	}
	if err := fakegithub.ValidateQuery(strings.Replace(q, "headRefOid", "headSha", 1)); err == nil {
		t.Errorf("ValidateQuery accepted a field GitHub does not have (headSha)")
	}
}

const (
	vHead1  = "1111111111111111111111111111111111111111"
	vMerge1 = "a111111111111111111111111111111111111111"
	vHead2  = "2222222222222222222222222222222222222222"
	vMerge2 = "a222222222222222222222222222222222222222"
	vHead3  = "3333333333333333333333333333333333333333"
	vMerge3 = "a333333333333333333333333333333333333333"
	vPush   = "b000000000000000000000000000000000000000"
)

var vMergedAt = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// verifyWorld is acme/site on the fake GitHub with pull request #1 merged
// by lead into vMerge1 from vHead1, approved by ux on vHead1 and signed off
// by be in a comment; #2 merged into vMerge2; #3 merged into vMerge3 with
// no review or comment.
func verifyWorld(t *testing.T) *fakegithub.Server {
	gh := fakegithub.New(t)
	gh.SetNow(func() time.Time { return vMergedAt })
	lead := fakegithub.User("lead", 1)
	gh.AddPull("acme/site", fakegithub.Pull{Number: 1, Head: vHead1, Merged: true, MergedBy: lead, Merge: vMerge1})
	gh.AddReview("acme/site", 1, fakegithub.User("ux", 2), "APPROVED", "", vHead1)
	gh.AddComment("acme/site", 1, fakegithub.User("be", 3), "Checked the queue.\n\n/signoff backend")
	gh.AddPull("acme/site", fakegithub.Pull{Number: 2, Head: vHead2, Merged: true, MergedBy: lead, Merge: vMerge2})
	gh.AddPull("acme/site", fakegithub.Pull{Number: 3, Head: vHead3, Merged: true, MergedBy: lead, Merge: vMerge3})
	app := fakegithub.User("twokey[bot]", 9)
	for _, h := range []string{vHead1, vHead2, vHead3} {
		gh.SetStatus("acme/site", h, StatusContext, "success", app)
	}
	return gh
}

// vRecord is a passing record of pull request pr merged into commit from
// head, signed by ux (review) and be (comment).
func vRecord(pr int, commit, head string) tracker.Record {
	return tracker.Record{V: 1, Type: tracker.RecordMerge, Repo: "acme/site", PR: pr, Base: "main", Head: head, Commit: commit,
		MergedBy: "lead", MergedAt: vMergedAt, Required: []string{"usability", "backend"},
		Signoffs: []tracker.RecordSignoff{
			{Kind: "usability", Login: "ux", SHA: head, Via: tracker.ViaReview},
			{Kind: "backend", Login: "be", SHA: head, Via: tracker.ViaComment},
		}, Verdict: tracker.VerdictPass}
}

// TestVerifyRecords: forged records are contradicted with what differs; a
// true one is not; the pull requests are read in one query per batch.
func TestVerifyRecords(t *testing.T) {
	gh := verifyWorld(t)
	v, err := NewVerifier(VerifyConfig{APIURL: gh.URL, Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	wrongSigners := vRecord(3, vMerge3, vHead3)
	lateMerge := vRecord(1, vMerge1, vHead1)
	lateMerge.MergedAt, lateMerge.MergedBy = vMergedAt.Add(time.Hour), "mallory"
	recs := []tracker.Record{
		vRecord(1, vMerge1, vHead1),
		vRecord(2, vPush, vHead2),    // a passing record appended to a direct push
		vRecord(99, vPush, vHead2),   // a pull request that never existed
		wrongSigners,                 // signers who never signed
		vRecord(1, vMerge1, vHead2),  // another head
		lateMerge,                    // another merger, another time
		{V: 1, Type: "merge", PR: 1}, // no repository
	}
	got, err := v.VerifyRecords(context.Background(), recs)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		nil,
		{"GitHub says #2 was merged as a22222222222, not this commit",
			"GitHub has no review by ux on 222222222222 of #2 for the usability sign-off", "GitHub has no comment by be with /signoff backend on #2"},
		{"GitHub has no pull request #99 in acme/site"},
		{"GitHub has no review by ux on 333333333333 of #3 for the usability sign-off", "GitHub has no comment by be with /signoff backend on #3"},
		{"GitHub says the head of #1 was 111111111111, not 222222222222",
			"GitHub has no review by ux on 222222222222 of #1 for the usability sign-off"},
		{"GitHub says #1 was merged by lead, not mallory", "GitHub says #1 was merged at 2026-03-02T10:00:00Z, not 2026-03-02T11:00:00Z"},
		{`the record names repository "", not owner/name: GitHub cannot be asked`},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("VerifyRecords (-want +got):\n%s", diff)
	}
	if n := v.Requests(); n != 1 {
		t.Errorf("VerifyRecords sent %d requests for 4 pull requests, want 1", n)
	}
}

// TestVerifyBatches: 1,000 records of as many pull requests cost 20
// requests (VerifyBatch pull requests each).
func TestVerifyBatches(t *testing.T) {
	gh := fakegithub.New(t)
	var recs []tracker.Record
	for i := 1; i <= 1000; i++ {
		recs = append(recs, vRecord(i, vMerge1, vHead1))
	}
	gh.Repo("acme/site")
	v, err := NewVerifier(VerifyConfig{APIURL: gh.URL, Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.VerifyRecords(context.Background(), recs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1000 || len(got[999]) != 1 || !strings.Contains(got[999][0], "no pull request #1000") {
		t.Errorf("VerifyRecords = %d answers, last %q", len(got), got[len(got)-1])
	}
	if n, reqs := v.Requests(), len(gh.Requests()); n != 20 || reqs != 20 {
		t.Errorf("1,000 records: %d requests counted, %d received; want 20", n, reqs)
	}
}

// TestVerifyUnknownRepository: a repository GitHub does not show the token
// is an error that says what to check, not a record contradicted.
func TestVerifyUnknownRepository(t *testing.T) {
	gh := fakegithub.New(t)
	v, err := NewVerifier(VerifyConfig{APIURL: gh.URL, Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.VerifyRecords(context.Background(), []tracker.Record{vRecord(1, vMerge1, vHead1)})
	if err == nil || !strings.Contains(err.Error(), "repository acme/site not found") {
		t.Errorf("VerifyRecords(unknown repository) = %v, want an error naming it", err)
	}
}

// TestVerifyGateStatus (attack2): a record rewritten to say the gate passed
// (verdict pass, no kind required, no sign-off) for a merge an admin made
// past a pending gate agreed with everything --verify asked GitHub. The
// twokey/gate status GitHub keeps on the head says whether the gate passed:
// a pass needs it to be a success.
func TestVerifyGateStatus(t *testing.T) {
	gh := verifyWorld(t)
	const head4, merge4, head5, merge5 = "4444444444444444444444444444444444444444", "a444444444444444444444444444444444444444",
		"5555555555555555555555555555555555555555", "a555555555555555555555555555555555555555"
	gh.AddPull("acme/site", fakegithub.Pull{Number: 4, Head: head4, Merged: true, MergedBy: fakegithub.User("admin", 7), Merge: merge4})
	gh.SetStatus("acme/site", head4, StatusContext, "success", fakegithub.User("twokey[bot]", 9))
	gh.SetStatus("acme/site", head4, StatusContext, "pending", fakegithub.User("twokey[bot]", 9)) // a revoke, then the admin merged
	gh.AddPull("acme/site", fakegithub.Pull{Number: 5, Head: head5, Merged: true, MergedBy: fakegithub.User("admin", 7), Merge: merge5})
	v, err := NewVerifier(VerifyConfig{APIURL: gh.URL, Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	forged := func(pr int, commit, head string) tracker.Record {
		return tracker.Record{V: 1, Type: tracker.RecordMerge, Repo: "acme/site", PR: pr, Base: "main", Head: head, Commit: commit,
			MergedBy: "admin", MergedAt: vMergedAt, Required: []string{}, Signoffs: []tracker.RecordSignoff{}, Verdict: tracker.VerdictPass}
	}
	bypassed := forged(4, merge4, head4)
	bypassed.Verdict = tracker.VerdictBypassed
	got, err := v.VerifyRecords(context.Background(), []tracker.Record{forged(4, merge4, head4), forged(5, merge5, head5), bypassed, vRecord(1, vMerge1, vHead1)})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"GitHub's twokey/gate status on the head of #4 is pending, not success: the gate did not pass it"},
		{"GitHub's twokey/gate status on the head of #5 is (none), not success: the gate did not pass it"},
		nil, // the true record: bypassed
		nil,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("VerifyRecords (-want +got):\n%s", diff)
	}
}

// TestVerifyLandedClaim (attack2): a rebase merge's record names the other
// commits that landed with it, and the audit classes them with the record.
// Someone who can push notes adds a direct push that sits right below a
// true rebase merge to its landed list: every field GitHub was asked about
// agreed. A record naming more commits than the pull request has is
// contradicted.
func TestVerifyLandedClaim(t *testing.T) {
	gh := verifyWorld(t)
	gh.SetPullCommits("acme/site", 1, "c111111111111111111111111111111111111111", vHead1) // two commits
	v, err := NewVerifier(VerifyConfig{APIURL: gh.URL, Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	rebase := func(landed ...string) tracker.Record {
		r := vRecord(1, vMerge1, vHead1)
		r.Method, r.Landed = "rebase", landed
		return r
	}
	got, err := v.VerifyRecords(context.Background(), []tracker.Record{rebase("d1"), rebase("d1", vPush)})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{nil, {"the record says 3 commits landed with the rebase merge of #1; GitHub says it has 2"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("VerifyRecords (-want +got):\n%s", diff)
	}
}
