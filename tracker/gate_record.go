package tracker

import "time"

// MergeInfo is how a pull request landed, from the closed event.
type MergeInfo struct {
	Commit   string // the commit that landed on the base branch (the note's object)
	MergedBy string
	Method   string // merge, squash or rebase
	MergedAt time.Time
	// OpenedAt is when the pull request was opened; zero when unknown.
	OpenedAt time.Time
	// Landed are the other commits a rebase merge put on the base branch,
	// newest first (Commit is the last of them).
	Landed []string
	// Due are the due times of the required kinds at the merge, satisfied
	// or not (DueTimes); the record keeps them by kind.
	Due []Due
}

// NewRecord builds the merge record for pr from the verdict the gate gave its
// head at merge time. The verdict is "pass" when the gate passed on its own
// and "bypassed" when it passed through a declared bypass or did not pass at
// all (an admin merged anyway); Reason then keeps the declared reason or says
// what the gate was still waiting for. The policy is identified by p.SHA, the
// blob SHA of the file that applied.
func NewRecord(p *Policy, pr *PullRequest, v *Verdict, m MergeInfo) Record {
	r := Record{
		V:        1,
		Type:     RecordMerge,
		Repo:     pr.Repo,
		PR:       pr.Number,
		Briefs:   []int{},
		Title:    pr.Title,
		Base:     pr.Base,
		Head:     pr.HeadSHA,
		Commit:   m.Commit,
		MergedBy: m.MergedBy,
		MergedAt: m.MergedAt.UTC(),
		Method:   m.Method,
		OpenedAt: m.OpenedAt.UTC(),
		Landed:   m.Landed,
		Required: []string{},
		Signoffs: []RecordSignoff{},
		Verdict:  VerdictPass,
		Policy:   p.SHA,
	}
	if v == nil {
		r.Verdict = VerdictBypassed
		r.Reason = "merged without a gate verdict"
		return r
	}
	r.Head = v.Head
	r.Briefs = append(r.Briefs, v.Link.Briefs...)
	r.Required = append(r.Required, v.Required...)
	for _, s := range v.Signoffs {
		r.Signoffs = append(r.Signoffs, RecordSignoff{
			Kind: s.Kind, Login: s.Signer.Login, ID: s.Signer.ID, SHA: s.SHA,
			Via: s.Via, URL: s.URL, At: s.At.UTC(), SameTree: s.SameTree,
		})
	}
	for _, d := range m.Due {
		if r.Due == nil {
			r.Due = map[string]time.Time{}
		}
		r.Due[d.Kind] = d.At.UTC()
	}
	if t := v.Time; t != nil {
		r.ReadyAt = t.ReadyAt.UTC()
		if f := t.Freeze; f != nil {
			r.Freeze = &RecordFreeze{Reason: f.Reason, Window: f.Window, Until: f.Until.UTC()}
			if o := f.Override; o != nil {
				r.Freeze.Override, r.Freeze.By, r.Freeze.URL = o.Kind, o.By, o.URL
			}
		}
	}
	switch {
	case v.Bypass != nil:
		r.Verdict = VerdictBypassed
		r.Reason = "@" + v.Bypass.By.Login + ": " + oneLine(v.Bypass.Reason)
	case v.State != StateSuccess:
		r.Verdict = VerdictBypassed
		r.Reason = "merged while the gate was " + v.State + ": " + v.Description()
	}
	return r
}
