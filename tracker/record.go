package tracker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// NotesRef is the git ref under which twokey keeps its records.
const NotesRef = "refs/notes/twokey"

// Record types.
const (
	RecordMerge = "merge" // a pull request merged (merge, squash or rebase)
	RecordPush  = "push"  // commits arrived on the default branch without a pull request
)

// Record verdicts.
const (
	VerdictPass       = "pass"        // the gate passed on the merged head
	VerdictBypassed   = "bypassed"    // merged without a passing gate (admin or declared bypass)
	VerdictDirectPush = "direct_push" // pushed to the branch without a pull request
)

// Record is what twokey writes as one line of JSON in the git note on the
// commit that landed. Notes hold one record per line, so concurrent writers
// merge with `git notes merge -s cat_sort_uniq`. Unknown fields are kept by
// readers that re-encode (none do today) and ignored by the audit.
type Record struct {
	V        int             `json:"v"`
	Type     string          `json:"type"`
	Repo     string          `json:"repo"`
	PR       int             `json:"pr,omitempty"`
	Briefs   []int           `json:"briefs"`
	Title    string          `json:"title,omitempty"`
	Base     string          `json:"base"`
	Head     string          `json:"head,omitempty"`   // the PR head SHA the gate judged
	Commit   string          `json:"commit,omitempty"` // the commit that landed (the note's object)
	MergedBy string          `json:"merged_by"`
	MergedAt time.Time       `json:"merged_at"`
	Method   string          `json:"method,omitempty"` // merge, squash or rebase
	Required []string        `json:"required"`
	Signoffs []RecordSignoff `json:"signoffs"`
	Verdict  string          `json:"verdict"`
	Reason   string          `json:"reason,omitempty"` // why it was bypassed, when declared
	Policy   string          `json:"policy"`           // blob SHA of the policy file
}

// RecordSignoff is one sign-off as recorded at merge time.
type RecordSignoff struct {
	Kind  string    `json:"kind"`
	Login string    `json:"login"`
	ID    int64     `json:"id"`
	SHA   string    `json:"sha"`
	Via   string    `json:"via"` // review or comment
	URL   string    `json:"url"`
	At    time.Time `json:"at"`
}

// MarshalLine encodes r as one line of JSON ending in "\n". Slices are never
// null, so readers can rely on arrays.
func (r Record) MarshalLine() ([]byte, error) {
	if r.V == 0 {
		r.V = 1
	}
	if r.Briefs == nil {
		r.Briefs = []int{}
	}
	if r.Required == nil {
		r.Required = []string{}
	}
	if r.Signoffs == nil {
		r.Signoffs = []RecordSignoff{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil { // Encode appends the newline
		return nil, fmt.Errorf("record for %s: %w", r.Commit, err)
	}
	return buf.Bytes(), nil
}

// ParseRecords reads every record in a note. Blank lines and lines that are
// not twokey records (a person's free-text note, another tool's line) are
// skipped and counted in skipped, never fatal: a note is shared ground.
// Lines end at "\n"; surrounding white space (a "\r" included) is ignored.
func ParseRecords(note []byte) (recs []Record, skipped int) {
	for len(note) > 0 {
		line := note
		if i := bytes.IndexByte(note, '\n'); i >= 0 {
			line, note = note[:i], note[i+1:]
		} else {
			note = nil
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var r Record
		if line[0] != '{' || json.Unmarshal(line, &r) != nil || r.V < 1 || r.Type == "" {
			skipped++
			continue
		}
		recs = append(recs, r)
	}
	return recs, skipped
}
