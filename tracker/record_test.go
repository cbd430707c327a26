package tracker

import (
	"strings"
	"testing"

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
