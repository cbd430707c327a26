package tracker

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxDescription is GitHub's limit for a commit status description.
const maxDescription = 140

// Description returns the commit status description: what passed, or what
// the gate waits for, in at most 140 characters.
func (v *Verdict) Description() string {
	var s string
	switch {
	case v.State == StateFailure:
		s = "policy error: " + strings.Join(v.Problems, "; ")
	case len(v.Blocked) > 0:
		s = "blocked: " + strings.Join(v.Blocked, "; ")
	case v.Bypass != nil:
		s = fmt.Sprintf("bypassed by @%s: %s", v.Bypass.By.Login, oneLine(v.Bypass.Reason))
	case v.State == StateSuccess:
		if len(v.Required) == 0 {
			s = "no sign-off required"
		} else {
			s = strings.Join(v.Required, " and ") + " signed off on " + short(v.Head)
		}
		switch v.Link.Status {
		case LinkSatisfied:
			s += "; brief " + numbers(v.Link.Briefs)
		case LinkWaived:
			s += "; brief waived"
		}
		if v.Time != nil && v.Time.Freeze != nil && v.Time.Freeze.Override != nil {
			s += fmt.Sprintf("; freeze lifted by @%s (%s)", v.Time.Freeze.Override.By, v.Time.Freeze.Override.Kind)
		}
	default:
		var wait []string
		for _, r := range v.Kinds {
			switch r.Status {
			case KindMissing:
				if r.Problem != "" {
					// The only problem that leaves the gate pending: its team
					// cannot be read with this token.
					wait = append(wait, r.Kind+" (token cannot read its team)")
					break
				}
				wait = append(wait, r.Kind)
			case KindStale:
				wait = append(wait, r.Kind+" (stale)")
			}
		}
		switch v.Link.Status {
		case LinkMissing:
			wait = append(wait, "a brief link")
		case LinkNotFound:
			wait = append(wait, "a brief that exists")
		case LinkNotReady:
			wait = append(wait, "a ready brief")
		}
		s = "waiting for " + strings.Join(wait, ", ")
		if f := v.frozen(); f != nil {
			fz := "frozen until " + whenShort(f.Until, f.Zone) + ": " + oneLine(f.Reason)
			if len(wait) == 0 {
				s = fz
			} else {
				s += "; " + fz
			}
		}
	}
	return truncate(s, maxDescription)
}

func numbers(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = fmt.Sprintf("#%d", n)
	}
	if len(parts) == 0 {
		return "linked"
	}
	return strings.Join(parts, ", ")
}

// truncate cuts s to at most n runes, ending in "…" when it cuts.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:n-1]), " ,;:") + "…"
}

// oneLine collapses whitespace, for text people typed.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// maxIgnoredRows bounds the ignored list in the comment: however many
// comments others post, twokey's comment stays readable and within
// GitHub's limit.
const maxIgnoredRows = 50

// cell makes text people typed safe inside a Markdown table cell: one line,
// no pipes, no HTML, no @mentions, and no links or images (a remote image in
// twokey's comment would be fetched by every reader's browser).
func cell(s string) string {
	s = oneLine(s)
	s = strings.NewReplacer("|", "\\|", "<", "&lt;", ">", "&gt;", "@", "@\u200b", "[", "\\[", "]", "\\]").Replace(s)
	return s
}

// stateEmoji marks a state in the comment.
var stateEmoji = map[string]string{
	StateSuccess:  "✅",
	StatePending:  "⏳",
	StateFailure:  "❌",
	KindSatisfied: "✅",
	KindMissing:   "⏳",
	KindStale:     "⚠️",
}

// Comment returns the Markdown body of the sticky pull request comment: a
// table of the required kinds (status, signers, commits), the brief link, the
// next steps addressed to the people who can act, and the ignored sign-offs
// with their reasons in a collapsed section. The action adds its hidden
// marker and posts it only when the text changes.
func (v *Verdict) Comment() string {
	var b strings.Builder
	title := v.State
	if v.Bypass != nil {
		title = "success (bypassed)"
	}
	fmt.Fprintf(&b, "### twokey gate: %s %s\n\n", stateEmoji[v.State], title)
	if v.Bypass != nil {
		fmt.Fprintf(&b, "**Bypassed** by @%s ([comment](%s)): %s\n\nThe gate passes without its sign-offs; the merge will be recorded as bypassed, with this reason.\n\n",
			v.Bypass.By.Login, v.Bypass.URL, cell(v.Bypass.Reason))
	}
	writeFreeze(&b, v)
	if len(v.Blocked) > 0 {
		b.WriteString("**This pull request cannot pass as it stands:**\n\n")
		for _, p := range v.Blocked {
			fmt.Fprintf(&b, "- %s\n", p)
		}
		b.WriteString("\n")
	}
	if len(v.Problems) > 0 {
		b.WriteString("**The policy cannot be met.** Fix `.github/twokey.yml` on the default branch:\n\n")
		for _, p := range v.Problems {
			fmt.Fprintf(&b, "- %s\n", p)
		}
		b.WriteString("\n")
	}
	if len(v.Kinds) == 0 {
		fmt.Fprintf(&b, "No sign-off is required for this change (head `%s`).\n\n", short(v.Head))
	} else {
		fmt.Fprintf(&b, "Head `%s` needs %s.\n\n", short(v.Head), joinAnd(bold(v.Required)))
		b.WriteString("| Kind | Status | Signed by | Commit |\n|---|---|---|---|\n")
		for _, r := range v.Kinds {
			kind := "**" + r.Kind + "**"
			if r.Description != "" {
				kind += "<br>" + cell(r.Description)
			}
			var signers, commits []string
			for _, s := range r.Signoffs {
				signers = append(signers, fmt.Sprintf("@%s ([%s](%s))", s.Signer.Login, s.Via, s.URL))
				c := "`" + short(s.SHA) + "`"
				if s.SHA == "" {
					c = "unknown"
				}
				if s.SameTree {
					c += " (same tree as head)"
				}
				if !contains(commits, c) {
					commits = append(commits, c)
				}
			}
			fmt.Fprintf(&b, "| %s | %s %s | %s | %s |\n", kind, stateEmoji[r.Status], r.Status, strings.Join(signers, "<br>"), strings.Join(commits, "<br>"))
		}
		b.WriteString("\n")
	}

	writeDue(&b, v)
	switch v.Link.Status {
	case LinkSatisfied:
		fmt.Fprintf(&b, "**Brief:** ✅ %s\n\n", linkSources(v.Repo, v.Link))
	case LinkWaived:
		fmt.Fprintf(&b, "**Brief:** ✅ not needed (waived by %s)\n\n", v.Link.Waiver)
	case LinkNotRequired:
	default:
		fmt.Fprintf(&b, "**Brief:** ⏳ %s\n\n", v.Link.Message)
	}

	var steps []string
	for _, r := range v.Kinds {
		switch {
		case r.Status == KindSatisfied:
			continue
		case r.Problem != "":
			steps = append(steps, fmt.Sprintf("**%s**: %s", r.Kind, r.Problem))
		case r.Status == KindStale:
			var who []string
			for _, s := range r.Signoffs {
				if s.SHA == "" {
					who = append(who, fmt.Sprintf("@%s signed (%s)", s.Signer.Login, s.Stale))
					continue
				}
				who = append(who, fmt.Sprintf("@%s signed `%s` (%s)", s.Signer.Login, short(s.SHA), s.Stale))
			}
			steps = append(steps, fmt.Sprintf("**%s**: %s. %s: review the change as it is now, then approve again or comment `/signoff %s %s`.", r.Kind, joinAnd(who), capitalize(r.Who), r.Kind, short(v.Head)))
		default:
			steps = append(steps, fmt.Sprintf("**%s**: %s: %s.", r.Kind, r.Who, r.How))
		}
	}
	switch v.Link.Status {
	case LinkMissing, LinkNotFound, LinkNotReady:
		who := "the author"
		if v.author != "" {
			who = "@" + v.author
		}
		steps = append(steps, fmt.Sprintf("**brief**: %s: %s.", who, v.Link.Message))
	}
	if len(steps) > 0 && v.Bypass == nil {
		b.WriteString("**Next steps**\n\n")
		for _, s := range steps {
			fmt.Fprintf(&b, "- %s\n", s)
		}
		b.WriteString("\nA sign-off covers the change it was given on: a push or a change of the base branch makes it stale. `/signoff revoke <kind>` withdraws one.\n\n")
	}

	if len(v.Ignored) > 0 {
		fmt.Fprintf(&b, "<details><summary>%d ignored</summary>\n\n| Who | Where | Why |\n|---|---|---|\n", len(v.Ignored))
		for i, ig := range v.Ignored {
			if i == maxIgnoredRows {
				fmt.Fprintf(&b, "| | | … and %d more: `twokey check --pr %d` lists them all |\n", len(v.Ignored)-i, v.Number)
				break
			}
			where := ig.Source
			if ig.URL != "" {
				where = fmt.Sprintf("[%s](%s)", ig.Source, ig.URL)
			}
			fmt.Fprintf(&b, "| @%s | %s | %s |\n", ig.Login, where, cell(ig.Reason))
		}
		b.WriteString("\n</details>\n")
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

func linkSources(repo string, l LinkResult) string {
	var parts []string
	for _, k := range l.Links {
		parts = append(parts, fmt.Sprintf("%s (%s)", briefRef(repo, k.Repo, k.Number), cell(k.Source)))
	}
	if len(parts) == 0 {
		return "linked"
	}
	return strings.Join(parts, ", ")
}

func bold(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = "**" + s + "**"
	}
	return out
}

func joinAnd(parts []string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// writeFreeze writes the freeze that holds the pull request, or that a
// sign-off or bypass lifted.
func writeFreeze(b *strings.Builder, v *Verdict) {
	if v.Time == nil || v.Time.Freeze == nil {
		return
	}
	f := v.Time.Freeze
	if o := f.Override; o != nil {
		via := "a `/signoff " + o.Kind + "` on the head"
		if o.Kind == "bypass" {
			via = "a bypass"
		}
		fmt.Fprintf(b, "**Freeze lifted** for head `%s` by @%s ([%s](%s)): %s (%s). The merge record keeps the window and who lifted it.\n\n",
			short(v.Head), o.By, strings.TrimPrefix(via, "a "), o.URL, cell(f.Reason), f.Window)
		return
	}
	fmt.Fprintf(b, "**🧊 Frozen until %s:** %s\n\nWindow: %s. The gate stays pending, whatever the keys, and twokey checks again when the window ends.",
		When(f.Until, f.Zone), cell(f.Reason), f.Window)
	if f.OverrideKind != "" {
		fmt.Fprintf(b, " To merge sooner, someone who may give **%s** comments `/signoff %s` on the head.", f.OverrideKind, f.OverrideKind)
	}
	b.WriteString("\n\n")
}

// writeDue lists when each pending key is due.
func writeDue(b *strings.Builder, v *Verdict) {
	if v.Time == nil || len(v.Time.Due) == 0 {
		return
	}
	b.WriteString("**Due**\n\n")
	for _, d := range v.Time.Due {
		mark := ""
		if d.Overdue {
			mark = " ⏰ **overdue**"
		}
		fmt.Fprintf(b, "- **%s**: due %s (%s)%s\n", d.Kind, When(d.At, d.Zone), d.Why, mark)
	}
	b.WriteString("\n")
}
