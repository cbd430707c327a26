package tracker

import (
	"strings"
	"testing"
	"time"
)

// BenchmarkParseBrief64KiB checks a 64 KiB brief against the default form and
// policy: long answers with user-typed headings, fences and links, the way
// large pasted logs arrive.
func BenchmarkParseBrief64KiB(b *testing.B) {
	f, p := DefaultForm(), DefaultPolicy()
	var filler strings.Builder
	for filler.Len() < 60<<10 {
		filler.WriteString("Customers tell us the checkout is slow on mobile, see https://example.com/report.\n\n#### Detail\n\n```\n### Audience\nlog line\n```\n\n")
	}
	body := renderBody(f, with(completeAnswers(), "objective", filler.String()))
	for len(body) < 64<<10 {
		body += "\n"
	}
	body = body[:64<<10]
	if res := CheckBrief(f, p, body, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); len(res.Brief.Fields) != len(f.Fields) {
		b.Fatalf("benchmark body parsed into %d fields, want %d", len(res.Brief.Fields), len(f.Fields))
	}
	filed := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		CheckBrief(f, p, body, filed)
	}
}

// BenchmarkParseBriefComments64KiB checks a 64 KiB brief whose answers are
// full of HTML comments, which the rules read around (a Markdown parse of
// each answer a rule checks), with the dropdown and checkboxes answers
// followed by comments too.
func BenchmarkParseBriefComments64KiB(b *testing.B) {
	f, p := DefaultForm(), DefaultPolicy()
	var filler strings.Builder
	for filler.Len() < 60<<10 {
		filler.WriteString("Customers tell us <!-- a hint https://example.com/hidden --> the checkout is slow, see https://example.com/report.\n\n<!--\nmore notes\n-->\n\n")
	}
	a := with(completeAnswers(), "objective", filler.String(), "size", "Small (a day or less)\n\n<!-- bot -->")
	a["agreement"] += "\n\n<!-- triage-bot: labelled -->"
	body := renderBody(f, a)
	filed := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if res := CheckBrief(f, p, body, filed); !res.Valid {
		b.Fatalf("benchmark body has findings %v", res.Findings)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		CheckBrief(f, p, body, filed)
	}
}
