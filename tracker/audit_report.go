package tracker

import (
	"bytes"
	"encoding/json"
	"io"
	"time"
)

// AuditHeader makes a report reproducible: what was audited, at which
// commits, by which twokey, when, and whether GitHub was asked.
type AuditHeader struct {
	Twokey      string    `json:"twokey"`       // version of twokey
	GeneratedAt time.Time `json:"generated_at"` // when the audit ran
	Ref         string    `json:"ref"`
	RefSHA      string    `json:"ref_sha"`
	NotesRef    string    `json:"notes_ref"`
	NotesSHA    string    `json:"notes_sha"` // "" when there are no notes
	// NotesFrom is the remote the notes were fetched from (--fetch),
	// without credentials.
	NotesFrom string `json:"notes_fetched_from"`
	Verified  bool   `json:"verified"`
	// Verification says how the records were checked, or that they were not.
	Verification string `json:"verification"`
}

// AuditFooter is what the report says after its entries.
type AuditFooter struct {
	Range    AuditRange   `json:"range"`
	Summary  AuditSummary `json:"summary"`
	Months   []AuditMonth `json:"months"`
	Warnings []string     `json:"warnings"`
	// Requests is how many requests --verify sent to GitHub.
	Requests int `json:"verify_requests"`
}

// AuditJSON writes the json report as the audit runs: the header's fields,
// "entries" one by one, then the footer's fields, in one JSON object and a
// newline. Nothing is held but a 32 KiB buffer.
type AuditJSON struct {
	w   io.Writer
	buf bytes.Buffer
	enc *json.Encoder
	n   int
	err error
}

// NewAuditJSON starts the json report on w.
func NewAuditJSON(w io.Writer, h *AuditHeader) *AuditJSON {
	j := &AuditJSON{w: w}
	j.enc = json.NewEncoder(&j.buf)
	j.enc.SetEscapeHTML(false)
	j.object(h, "{")
	j.buf.WriteString(`,"entries":[`)
	return j
}

// object encodes v, an object, without its closing brace, its opening one
// replaced by prefix.
func (j *AuditJSON) object(v any, prefix string) {
	if j.err != nil {
		return
	}
	start := j.buf.Len()
	if j.err = j.enc.Encode(v); j.err != nil {
		return
	}
	b := j.buf.Bytes()
	body := append([]byte(prefix), b[start+1:len(b)-2]...) // drop "{" and "}\n"
	j.buf.Truncate(start)
	j.buf.Write(body)
}

func (j *AuditJSON) put(prefix string, v any) {
	if j.err != nil {
		return
	}
	j.buf.WriteString(prefix)
	if j.err = j.enc.Encode(v); j.err != nil {
		return
	}
	j.buf.Truncate(j.buf.Len() - 1) // Encode's newline
	if j.buf.Len() >= 32<<10 {
		_, j.err = j.buf.WriteTo(j.w)
	}
}

// Entry writes one entry.
func (j *AuditJSON) Entry(e *AuditEntry) error {
	sep := ","
	if j.n == 0 {
		sep = ""
	}
	j.n++
	j.put(sep, e)
	return j.err
}

// End writes the footer and closes the object.
func (j *AuditJSON) End(f *AuditFooter) error {
	j.buf.WriteString("]")
	j.object(f, ",")
	if j.err != nil {
		return j.err
	}
	j.buf.WriteString("}\n")
	_, err := j.buf.WriteTo(j.w)
	return err
}

// AuditJSONL writes the jsonl report: one JSON object per line, the header
// first ("type":"header"), then one per commit ("type":"commit", the fields
// of AuditEntry), then the footer ("type":"summary").
type AuditJSONL struct {
	w   io.Writer
	buf bytes.Buffer
	enc *json.Encoder
}

// NewAuditJSONL starts the jsonl report on w with the header line.
func NewAuditJSONL(w io.Writer, h *AuditHeader) (*AuditJSONL, error) {
	j := &AuditJSONL{w: w}
	j.enc = json.NewEncoder(&j.buf)
	j.enc.SetEscapeHTML(false)
	return j, j.line(struct {
		Type string `json:"type"`
		*AuditHeader
	}{"header", h})
}

func (j *AuditJSONL) line(v any) error {
	if err := j.enc.Encode(v); err != nil {
		return err
	}
	if j.buf.Len() >= 32<<10 {
		_, err := j.buf.WriteTo(j.w)
		return err
	}
	return nil
}

// Entry writes one commit's line.
func (j *AuditJSONL) Entry(e *AuditEntry) error {
	return j.line(struct {
		Type string `json:"type"`
		*AuditEntry
	}{"commit", e})
}

// End writes the summary line.
func (j *AuditJSONL) End(f *AuditFooter) error {
	if err := j.line(struct {
		Type string `json:"type"`
		*AuditFooter
	}{"summary", f}); err != nil {
		return err
	}
	_, err := j.buf.WriteTo(j.w)
	return err
}

// WriteJSON writes r as the json report with an empty header.
func (r *AuditReport) WriteJSON(w io.Writer) error {
	j := NewAuditJSON(w, &AuditHeader{Ref: r.Ref, NotesRef: NotesRef})
	for i := range r.Entries {
		if err := j.Entry(&r.Entries[i]); err != nil {
			return err
		}
	}
	return j.End(&AuditFooter{Range: r.Range, Summary: r.Summary, Months: r.Months, Warnings: r.Warnings})
}
