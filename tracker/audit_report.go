package tracker

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
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

// Entry writes one entry.
func (j *AuditJSON) Entry(e *AuditEntry) error {
	if j.err != nil {
		return j.err
	}
	if j.n > 0 {
		j.buf.WriteByte(',')
	}
	j.n++
	j.buf.Write(e.appendJSON(j.buf.AvailableBuffer()))
	if j.buf.Len() >= 32<<10 {
		_, j.err = j.buf.WriteTo(j.w)
	}
	return j.err
}

// appendJSON appends e as encoding/json with SetEscapeHTML(false) encodes
// it, without reflection: the json report of 100,000 commits encodes them
// on one goroutine while the others read the history.
// TestAuditEntryJSON holds the two together.
func (e *AuditEntry) appendJSON(b []byte) []byte {
	b = append(b, `{"commit":`...)
	b = appendJSONString(b, e.Commit)
	b = append(b, `,"date":`...)
	b = appendJSONTime(b, &e.Date)
	b = append(b, `,"landed":`...)
	b = appendJSONTime(b, e.Landed)
	b = append(b, `,"month":`...)
	b = appendJSONString(b, e.Month)
	b = append(b, `,"subject":`...)
	b = appendJSONString(b, e.Subject)
	b = append(b, `,"class":`...)
	b = appendJSONString(b, string(e.Class))
	b = append(b, `,"repo":`...)
	b = appendJSONString(b, e.Repo)
	b = append(b, `,"pr":`...)
	b = strconv.AppendInt(b, int64(e.PR), 10)
	b = append(b, `,"briefs":`...)
	if e.Briefs == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, n := range e.Briefs {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(n), 10)
		}
		b = append(b, ']')
	}
	b = append(b, `,"merged_by":`...)
	b = appendJSONString(b, e.MergedBy)
	b = append(b, `,"method":`...)
	b = appendJSONString(b, e.Method)
	b = append(b, `,"head":`...)
	b = appendJSONString(b, e.Head)
	b = append(b, `,"keys":`...)
	if e.Keys == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range e.Keys {
			k := &e.Keys[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"kind":`...)
			b = appendJSONString(b, k.Kind)
			b = append(b, `,"login":`...)
			b = appendJSONString(b, k.Login)
			b = append(b, `,"sha":`...)
			b = appendJSONString(b, k.SHA)
			b = append(b, `,"via":`...)
			b = appendJSONString(b, k.Via)
			b = append(b, `,"url":`...)
			b = appendJSONString(b, k.URL)
			b = append(b, `,"at":`...)
			b = appendJSONTime(b, k.At)
			b = append(b, `,"same_tree":`...)
			b = strconv.AppendBool(b, k.SameTree)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"bypass":`...)
	b = appendJSONString(b, e.Bypass)
	b = append(b, `,"verified":`...)
	b = appendJSONString(b, e.Verified)
	b = append(b, `,"details":`...)
	if e.Details == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, d := range e.Details {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, d)
		}
		b = append(b, ']')
	}
	b = append(b, `,"frozen":`...)
	b = strconv.AppendBool(b, e.Frozen)
	return append(b, '}')
}

// appendJSONString appends s as a JSON string: as it is when nothing in it
// needs escaping, else as encoding/json escapes it.
func appendJSONString(b []byte, s string) []byte {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			plain = false
			break
		}
	}
	if plain {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

// appendJSONTime appends t as time.Time's MarshalJSON does, null for nil.
func appendJSONTime(b []byte, t *time.Time) []byte {
	if t == nil {
		return append(b, "null"...)
	}
	if y := t.Year(); y < 0 || y > 9999 {
		m, _ := json.Marshal(t) // its error, as encoding/json's
		return append(b, m...)
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
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
	j.buf.WriteString(`{"type":"commit",`)
	j.buf.Write(e.appendJSON(j.buf.AvailableBuffer())[1:])
	j.buf.WriteByte('\n')
	if j.buf.Len() >= 32<<10 {
		_, err := j.buf.WriteTo(j.w)
		return err
	}
	return nil
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
