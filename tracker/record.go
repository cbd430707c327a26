package tracker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
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
	V        int       `json:"v"`
	Type     string    `json:"type"`
	Repo     string    `json:"repo"`
	PR       int       `json:"pr,omitempty"`
	Briefs   []int     `json:"briefs"`
	Title    string    `json:"title,omitempty"`
	Base     string    `json:"base"`
	Head     string    `json:"head,omitempty"`   // the PR head SHA the gate judged
	Commit   string    `json:"commit,omitempty"` // the commit that landed (the note's object)
	MergedBy string    `json:"merged_by"`
	MergedAt time.Time `json:"merged_at"`
	Method   string    `json:"method,omitempty"` // merge, squash or rebase
	// OpenedAt is when the pull request was opened (GitHub's created_at).
	// Records written before it was added have none: readers treat the zero
	// time as unknown, and it is left out of the JSON.
	OpenedAt time.Time `json:"opened_at,omitzero"`
	// Landed are the other commits of a rebase merge, newest first: they
	// reached the base branch with Commit, the last of them, and carry no
	// note of their own.
	Landed   []string        `json:"landed,omitempty"`
	Required []string        `json:"required"`
	Signoffs []RecordSignoff `json:"signoffs"`
	Verdict  string          `json:"verdict"`
	Reason   string          `json:"reason,omitempty"` // why it was bypassed, when declared
	Policy   string          `json:"policy"`           // blob SHA of the policy file
	// ReadyAt is when the pull request became ready for its keys (brief
	// linked and ready, not a draft), when the action knew it. Absent in
	// records written before twokey kept time.
	ReadyAt time.Time `json:"ready_at,omitzero"`
	// Due is when each required kind's key was due, by kind, as the gate
	// computed it at merge time (its due: and the brief's deadline, see
	// DueTimes); a kind without a due time is left out. Absent in records
	// written before twokey recorded it, and when no kind had one.
	Due map[string]time.Time `json:"due,omitempty"`
	// Freeze is the freeze window the merge was made in, and who lifted it
	// (absent when none held).
	Freeze *RecordFreeze `json:"freeze,omitempty"`
}

// RecordFreeze is the freeze window a merge was made in.
type RecordFreeze struct {
	Reason string    `json:"reason"`
	Window string    `json:"window"` // as written: "Fri 15:00 → Mon 09:00 every week (Europe/Berlin)"
	Until  time.Time `json:"until"`  // when it would have reopened
	// Override is the kind whose sign-off lifted it, or "bypass"; empty when
	// nothing did (the merge then bypassed the gate).
	Override string `json:"override,omitempty"`
	By       string `json:"by,omitempty"` // who lifted it
	URL      string `json:"url,omitempty"`
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
	// SameTree is true when SHA is not the merged head but has the head's
	// tree, and the policy kept the sign-off (signoffs.keep_on_same_tree).
	SameTree bool `json:"same_tree,omitempty"`
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
//
// A line is read as encoding/json reads it into a Record. Lines in the form
// MarshalLine writes are decoded without reflection, several times faster
// (the audit reads 100,000 of them); anything else goes to encoding/json.
func ParseRecords(note []byte) (recs []Record, skipped int) {
	return appendRecords(nil, note)
}

// appendRecords is ParseRecords appending to recs, so a caller that reads
// many notes reuses one slice.
func appendRecords(recs []Record, note []byte) ([]Record, int) {
	skipped := 0
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
		if line[0] != '{' {
			skipped++
			continue
		}
		var r Record
		if !decodeRecord(line, &r) {
			var jr Record // apart from r, which then stays off the heap
			if json.Unmarshal(line, &jr) != nil {
				skipped++
				continue
			}
			r = jr
		}
		if r.V < 1 || r.Type == "" {
			skipped++
			continue
		}
		recs = append(recs, r)
	}
	return recs, skipped
}

// decodeRecord decodes line into r when line is a JSON object in the form
// MarshalLine writes: only Record's keys, spelt exactly, each once; strings
// without escapes and in valid UTF-8; plain integers; no null. It reports
// false, leaving r half-written, for anything else, which encoding/json then
// decides. Where it reports true, r is what json.Unmarshal gives
// (FuzzParseRecords holds the two together).
//
// The record's strings share one copy of the line.
func decodeRecord(line []byte, r *Record) bool {
	d := recordDecoder{b: line, s: string(line)}
	var seen keySet
	once := seen.once // a repeated key: encoding/json merges, it decides
	// Arrays are gathered here, then copied to their exact size.
	var briefs [8]int
	var required [8]string
	var signoffs [4]RecordSignoff
	ok := d.object(func(key []byte) bool {
		switch string(key) {
		case "v":
			return once(0) && d.int(&r.V)
		case "type":
			return once(1) && d.str(&r.Type)
		case "repo":
			return once(2) && d.str(&r.Repo)
		case "pr":
			return once(3) && d.int(&r.PR)
		case "briefs":
			list := briefs[:0]
			ok := once(4) && d.array(func() bool {
				var n int
				ok := d.int(&n)
				list = append(list, n)
				return ok
			})
			r.Briefs = append(make([]int, 0, len(list)), list...)
			return ok
		case "title":
			return once(5) && d.str(&r.Title)
		case "base":
			return once(6) && d.str(&r.Base)
		case "head":
			return once(7) && d.str(&r.Head)
		case "commit":
			return once(8) && d.str(&r.Commit)
		case "merged_by":
			return once(9) && d.str(&r.MergedBy)
		case "merged_at":
			return once(10) && d.time(&r.MergedAt)
		case "method":
			return once(11) && d.str(&r.Method)
		case "opened_at":
			return once(18) && d.time(&r.OpenedAt)
		case "landed":
			list := []string{} // as encoding/json: [] is empty, not nil
			ok := once(17) && d.array(func() bool {
				var s string
				ok := d.str(&s)
				list = append(list, s)
				return ok
			})
			r.Landed = list
			return ok
		case "required":
			list := required[:0]
			ok := once(12) && d.array(func() bool {
				var s string
				ok := d.str(&s)
				list = append(list, s)
				return ok
			})
			r.Required = append(make([]string, 0, len(list)), list...)
			return ok
		case "signoffs":
			list := signoffs[:0]
			ok := once(13) && d.array(func() bool {
				var s RecordSignoff
				ok := decodeSignoff(&d, &s)
				list = append(list, s)
				return ok
			})
			r.Signoffs = append(make([]RecordSignoff, 0, len(list)), list...)
			return ok
		case "verdict":
			return once(14) && d.str(&r.Verdict)
		case "reason":
			return once(15) && d.str(&r.Reason)
		case "policy":
			return once(16) && d.str(&r.Policy)
		case "ready_at":
			return once(20) && d.time(&r.ReadyAt)
		case "due":
			if !once(22) {
				return false
			}
			r.Due = map[string]time.Time{} // as encoding/json: {} is empty, not nil
			return d.object(func(key []byte) bool {
				var t time.Time
				ok := d.time(&t)
				r.Due[string(key)] = t // a repeated kind: the last wins, as in encoding/json
				return ok
			})
		case "freeze":
			if !once(21) {
				return false
			}
			r.Freeze = &RecordFreeze{}
			return decodeFreeze(&d, r.Freeze)
		}
		return false
	})
	return ok && d.end()
}

// keySet is the keys of an object decoded so far, one bit each.
type keySet uint32

// once marks key bit as seen and reports whether it was new: a key seen
// twice sends the record to encoding/json, which decides as it always has.
func (k *keySet) once(bit int) bool {
	if *k&(1<<bit) != 0 {
		return false
	}
	*k |= 1 << bit
	return true
}

func decodeSignoff(d *recordDecoder, s *RecordSignoff) bool {
	var seen keySet
	once := seen.once
	return d.object(func(key []byte) bool {
		switch string(key) {
		case "kind":
			return once(0) && d.str(&s.Kind)
		case "login":
			return once(1) && d.str(&s.Login)
		case "id":
			return once(2) && d.int64(&s.ID)
		case "sha":
			return once(3) && d.str(&s.SHA)
		case "via":
			return once(4) && d.str(&s.Via)
		case "url":
			return once(5) && d.str(&s.URL)
		case "at":
			return once(6) && d.time(&s.At)
		case "same_tree":
			return once(7) && d.bool(&s.SameTree)
		}
		return false
	})
}

func decodeFreeze(d *recordDecoder, f *RecordFreeze) bool {
	var seen keySet
	once := seen.once
	return d.object(func(key []byte) bool {
		switch string(key) {
		case "reason":
			return once(0) && d.str(&f.Reason)
		case "window":
			return once(1) && d.str(&f.Window)
		case "until":
			return once(2) && d.time(&f.Until)
		case "override":
			return once(3) && d.str(&f.Override)
		case "by":
			return once(4) && d.str(&f.By)
		case "url":
			return once(5) && d.str(&f.URL)
		}
		return false
	})
}

// bool reads true or false.
func (d *recordDecoder) bool(p *bool) bool {
	d.ws()
	for _, lit := range []string{"true", "false"} {
		if bytes.HasPrefix(d.b[d.i:], []byte(lit)) {
			d.i += len(lit)
			*p = lit == "true"
			return true
		}
	}
	return false
}

// recordDecoder reads JSON tokens from b for decodeRecord; each method
// reports false on anything outside the subset it accepts.
type recordDecoder struct {
	b []byte
	s string // b as a string, for the values' strings
	i int
}

func (d *recordDecoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// next consumes c, after white space.
func (d *recordDecoder) next(c byte) bool {
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// end reports whether only white space is left.
func (d *recordDecoder) end() bool {
	d.ws()
	return d.i == len(d.b)
}

// object reads {"key": value, ...}; field reads the value of each key.
func (d *recordDecoder) object(field func(key []byte) bool) bool {
	if !d.next('{') {
		return false
	}
	if d.next('}') {
		return true
	}
	for {
		key, ok := d.raw()
		if !ok || !d.next(':') || !field(key) {
			return false
		}
		if !d.next(',') {
			return d.next('}')
		}
	}
}

// array reads [elem, ...].
func (d *recordDecoder) array(elem func() bool) bool {
	if !d.next('[') {
		return false
	}
	if d.next(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if !d.next(',') {
			return d.next(']')
		}
	}
}

// raw reads a string without escapes and returns its bytes, unquoted.
func (d *recordDecoder) raw() ([]byte, bool) {
	start, end, ok := d.span()
	return d.b[start:end], ok
}

// span reads a string without escapes and returns where its contents start
// and end in b.
func (d *recordDecoder) span() (start, end int, ok bool) {
	d.ws()
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return 0, 0, false
	}
	ascii := true
	for j := d.i + 1; j < len(d.b); j++ {
		switch c := d.b[j]; {
		case c == '"':
			start, end = d.i+1, j
			if !ascii && !utf8.Valid(d.b[start:end]) {
				return 0, 0, false // encoding/json replaces bad bytes with U+FFFD
			}
			d.i = j + 1
			return start, end, true
		case c == '\\' || c < 0x20:
			return 0, 0, false
		case c >= 0x80:
			ascii = false
		}
	}
	return 0, 0, false
}

func (d *recordDecoder) str(s *string) bool {
	start, end, ok := d.span()
	*s = d.s[start:end]
	return ok
}

// integer reads a JSON number that is an integer in bits bits, without
// fraction or exponent (encoding/json refuses those for an int).
func (d *recordDecoder) integer(bits int) (int64, bool) {
	d.ws()
	j := d.i
	if j < len(d.b) && d.b[j] == '-' {
		j++
	}
	digits := j
	for j < len(d.b) && '0' <= d.b[j] && d.b[j] <= '9' {
		j++
	}
	if j == digits || d.b[digits] == '0' && j > digits+1 {
		return 0, false // no digits, or a leading zero
	}
	if j < len(d.b) && (d.b[j] == '.' || d.b[j] == 'e' || d.b[j] == 'E') {
		return 0, false
	}
	n, err := strconv.ParseInt(string(d.b[d.i:j]), 10, bits)
	if err != nil {
		return 0, false
	}
	d.i = j
	return n, true
}

func (d *recordDecoder) int(p *int) bool {
	n, ok := d.integer(strconv.IntSize)
	*p = int(n)
	return ok
}

func (d *recordDecoder) int64(p *int64) bool {
	n, ok := d.integer(64)
	*p = n
	return ok
}

// time reads a string through time.Time's UnmarshalJSON, as encoding/json
// does.
func (d *recordDecoder) time(t *time.Time) bool {
	d.ws()
	start := d.i
	if _, ok := d.raw(); !ok {
		return false
	}
	return t.UnmarshalJSON(d.b[start:d.i]) == nil
}
