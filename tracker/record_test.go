package tracker

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseRecords(t *testing.T) {
	line, err := passRecord().MarshalLine()
	if err != nil {
		t.Fatal(err)
	}
	rec := strings.TrimSpace(string(line))
	push := Record{V: 1, Type: RecordPush, MergedBy: "bob", Verdict: VerdictDirectPush}
	pushLine, err := push.MarshalLine()
	if err != nil {
		t.Fatal(err)
	}
	// A record longer than bufio.Scanner's default 64 KiB line.
	long := passRecord()
	long.Title = strings.Repeat("x", 100_000)
	longLine, err := long.MarshalLine()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		note    string
		want    []Record
		skipped int
	}{
		{"nil", "", nil, 0},
		{"blank lines", "\n\n  \n", nil, 0},
		{"free text", "reviewed on paper", nil, 1},
		{"one record", rec, []Record{passRecord()}, 0},
		{"one record with newline", string(line), []Record{passRecord()}, 0},
		{"two records", string(line) + string(pushLine), []Record{passRecord(), {V: 1, Type: RecordPush, MergedBy: "bob", Verdict: VerdictDirectPush, Briefs: []int{}, Required: []string{}, Signoffs: []RecordSignoff{}}}, 0},
		{"crlf and padding", "text\r\n\t" + rec + " \r\n", []Record{passRecord()}, 1},
		{"not records", `{"v":0,"type":"merge"}` + "\n" + `{"v":1}` + "\n{broken\n[1]\n" + `{"v":1,"type":"merge","pr":"seven"}`, nil, 5},
		{"longer than 64 KiB", string(longLine) + rec, []Record{long, passRecord()}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, skipped := ParseRecords([]byte(tt.note))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseRecords(%.60q) diff (-want +got):\n%s", tt.note, diff)
			}
			if skipped != tt.skipped {
				t.Errorf("ParseRecords(%.60q) skipped %d, want %d", tt.note, skipped, tt.skipped)
			}
		})
	}
}

// TestRecordDue: a merge record's due times are written as one object of
// kind → RFC 3339 time, read back as written, and left out entirely when
// there are none, so a record without them is the line twokey wrote before
// the field existed.
func TestRecordDue(t *testing.T) {
	r := passRecord()
	r.Due = map[string]time.Time{"usability": time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC), "backend": time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)}
	line, err := r.MarshalLine()
	if err != nil {
		t.Fatal(err)
	}
	const want = `"due":{"backend":"2026-03-10T15:00:00Z","usability":"2026-03-09T08:00:00Z"}`
	if !strings.Contains(string(line), want) {
		t.Errorf("MarshalLine() = %s, want it to hold %s", line, want)
	}
	got, skipped := ParseRecords(line)
	if diff := cmp.Diff([]Record{r}, got); diff != "" || skipped != 0 {
		t.Errorf("ParseRecords(MarshalLine()) skipped %d, diff (-want +got):\n%s", skipped, diff)
	}

	// Before the field: the line of a record without due times, byte for byte.
	old := `{"v":1,"type":"merge","repo":"acme/site","pr":7,"briefs":[3],"base":"main","head":"` + headA + `","commit":"` + headA +
		`","merged_by":"alice","merged_at":"` + t0.Format(time.RFC3339Nano) + `","method":"squash","required":["usability","backend"],` +
		`"signoffs":[{"kind":"usability","login":"ux","id":0,"sha":"` + headA + `","via":"review","url":"","at":"0001-01-01T00:00:00Z"},` +
		`{"kind":"backend","login":"be","id":0,"sha":"` + headA + `","via":"comment","url":"","at":"0001-01-01T00:00:00Z"}],"verdict":"pass","policy":""}` + "\n"
	for _, r := range []Record{passRecord(), func() Record { r := passRecord(); r.Due = map[string]time.Time{}; return r }()} {
		line, err := r.MarshalLine()
		if err != nil {
			t.Fatal(err)
		}
		if string(line) != old {
			t.Errorf("MarshalLine(due %v) =\n%s\nwant the line of a record before due existed:\n%s", r.Due, line, old)
		}
	}
	recs, _ := ParseRecords([]byte(old))
	if len(recs) != 1 || recs[0].Due != nil {
		t.Errorf("ParseRecords(a record before due) = %+v, want one record with no due times", recs)
	}
}

// parseRecordsJSON is ParseRecords with encoding/json alone: the reference
// decodeRecord must agree with.
func parseRecordsJSON(note []byte) (recs []Record, skipped int) {
	for _, line := range bytes.Split(note, []byte("\n")) {
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

func recordLines(t testing.TB) [][]byte {
	t.Helper()
	unicode := passRecord()
	unicode.Title, unicode.Reason = "Café <menu> & prices", "ça marche"
	unicode.Signoffs[0].At = time.Date(2026, 3, 1, 9, 0, 0, 123456789, time.FixedZone("", -2*3600-30*60))
	none := Record{V: 1, Type: RecordPush}
	sameTree := passRecord()
	sameTree.Signoffs[1].SHA, sameTree.Signoffs[1].SameTree = headB, true
	sameTree.Method, sameTree.Landed = "rebase", []string{headB, headA}
	timed := passRecord()
	timed.ReadyAt = time.Date(2026, 3, 6, 15, 0, 0, 0, time.UTC)
	timed.Freeze = &RecordFreeze{Reason: "No Friday launches.", Window: "Fri 15:00 → Mon 09:00 every week (Europe/Berlin)",
		Until: time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC), Override: "release", By: "rel", URL: "https://github.com/acme/site/pull/12#issuecomment-10"}
	unlifted := passRecord()
	unlifted.Verdict, unlifted.Freeze = VerdictBypassed, &RecordFreeze{Reason: "Weekend.", Window: "w", Until: timed.ReadyAt}
	opened := passRecord()
	opened.OpenedAt = time.Date(2026, 2, 27, 16, 15, 0, 0, time.UTC)
	timed.OpenedAt = opened.OpenedAt
	due := passRecord()
	due.Due = map[string]time.Time{"backend": time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC), "usability": time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC)}
	var lines [][]byte
	for _, r := range []Record{passRecord(), unicode, none, sameTree, opened, timed, unlifted, due} {
		line, err := r.MarshalLine()
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, bytes.TrimSpace(line))
	}
	return lines
}

// TestDecodeRecord: the lines MarshalLine writes take the fast path and
// decode as encoding/json decodes them; lines outside its subset are left
// to encoding/json.
func TestDecodeRecord(t *testing.T) {
	for _, line := range recordLines(t) {
		var got, want Record
		if !decodeRecord(line, &got) {
			t.Errorf("decodeRecord(%s) = false, want the fast path for MarshalLine's form", line)
			continue
		}
		if err := json.Unmarshal(line, &want); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("decodeRecord(%s) diff (-json.Unmarshal +decodeRecord):\n%s", line, diff)
		}
	}
	for _, line := range []string{
		`{"v":1,"type":"merge","title":"say \"hi\""}`, // an escape
		`{"v":1,"type":"merge","title":null}`,
		`{"v":1,"type":"merge","V":2}`,              // case-folded key
		`{"v":1,"type":"merge","extra":true}`,       // unknown key
		`{"v":1,"type":"merge","type":"push"}`,      // repeated key
		`{"v":1.0,"type":"merge"}`,                  // not an integer
		`{"v":01,"type":"merge"}`,                   // leading zero
		`{"v":99999999999999999999,"type":"merge"}`, // overflow
		"{\"v\":1,\"type\":\"m\xffrge\"}",           // invalid UTF-8
		`{"v":1,"type":"merge"} x`,                  // trailing text
		`{"v":1,"type":"merge",}`,                   // trailing comma
		`{"v":1,"type":"merge","merged_at":"yesterday"}`,
		`{"v":1,"type":"merge","opened_at":"2026-02-27"}`, // not RFC 3339
		`{"v":1,"type":"merge","opened_at":"2026-02-27T16:15:00Z","opened_at":"2026-02-28T16:15:00Z"}`,
		`{"v":1,"type":"merge","due":null}`,
		`{"v":1,"type":"merge","due":{"backend":null}}`,
		`{"v":1,"type":"merge","due":{"backend":"2026-03-10"}}`, // not RFC 3339
		`{"v":1,"type":"merge","due":{"back\u0065nd":"2026-03-10T15:00:00Z"}}`,
		`{"v":1,"type":"merge","due":{},"due":{"backend":"2026-03-10T15:00:00Z"}}`,
	} {
		var r Record
		if decodeRecord([]byte(line), &r) {
			t.Errorf("decodeRecord(%s) = true, want false (encoding/json decides)", line)
		}
	}
}

// FuzzParseRecords: ParseRecords reads every note as encoding/json alone
// would (go test -fuzz FuzzParseRecords ./tracker).
func FuzzParseRecords(f *testing.F) {
	for _, line := range recordLines(f) {
		f.Add(line)
		f.Add(append(append([]byte("text\r\n "), line...), "\n\n"...))
		f.Add(bytes.ReplaceAll(line, []byte(`":`), []byte(`" : `)))
		f.Add(bytes.ReplaceAll(line, []byte(`"briefs":[3]`), []byte(`"briefs":[ ]`)))
		f.Add(bytes.ReplaceAll(line, []byte(`"pr":7`), []byte(`"pr":-0`)))
		f.Add(bytes.ReplaceAll(line, []byte(`"signoffs":[`), []byte(`"signoffs":null,"signoffs":[`)))
		f.Add(bytes.ReplaceAll(line, []byte(`"kind"`), []byte(`"Kind"`)))
		f.Add(bytes.ReplaceAll(line, []byte(`"id":0`), []byte(`"id":1e3`)))
		f.Add(bytes.ReplaceAll(line, []byte(`Z"`), []byte(`+25:00"`)))
	}
	for _, s := range []string{"", "{}", `{"v":1,"type":"x"}`, `{"v":1,"type":"x","briefs":[1,2,],"pr":3}`, "{\"v\":1,\"type\":\"\\u00e9\xc3\"}", `[{"v":1}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, note []byte) {
		want, wantSkipped := parseRecordsJSON(note)
		got, gotSkipped := ParseRecords(note)
		if diff := cmp.Diff(want, got); diff != "" || gotSkipped != wantSkipped {
			t.Errorf("ParseRecords(%q) skipped %d, encoding/json %d; diff (-encoding/json +ParseRecords):\n%s", note, gotSkipped, wantSkipped, diff)
		}
	})
}
