package tracker

import (
	"fmt"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Kind is a sign-off kind (usability, backend, ...) and who may give it.
type Kind struct {
	Description string   `yaml:"description"`
	Users       []string `yaml:"users"`
	Teams       []string `yaml:"teams"` // org/slug
	Permission  string   `yaml:"permission"`
	AllowAuthor bool     `yaml:"allow_author"`
	// Due is how long after a pull request became ready for this kind its
	// key is due: "2 working days", "16 working hours" (see Calendar).
	Due string `yaml:"due"`

	due *workSpan
}

// Requirement adds Kinds to what a change needs when all its conditions hold.
type Requirement struct {
	Paths  []string   `yaml:"paths"`
	Brief  *Condition `yaml:"brief"`
	Labels []string   `yaml:"labels"`
	Kinds  []string   `yaml:"kinds"`
}

// LinkPolicy says whether a pull request must link a brief and what waives it.
type LinkPolicy struct {
	Required     bool   `yaml:"required"`
	WaiveLabel   string `yaml:"waive_label"`
	WaiveCommand string `yaml:"waive_command"`
}

// SignoffPolicy says when a push makes sign-offs stale.
type SignoffPolicy struct {
	KeepOnSameTree bool `yaml:"keep_on_same_tree"`
}

// PRLabels are the labels twokey keeps on pull requests.
type PRLabels struct {
	Signed     string `yaml:"signed"` // {kind} is replaced
	NeedsBrief string `yaml:"needs_brief"`
	Overdue    string `yaml:"overdue"` // {kind} is replaced
}

// BypassPolicy says who may declare an emergency bypass of the gate.
type BypassPolicy struct {
	Users []string `yaml:"users"`
}

// Permissions a kind may fall back to, weakest first.
var permissions = []string{"read", "triage", "write", "maintain", "admin"}

// permissionRank orders GitHub's repository permissions; "none" and unknown
// names rank below read.
func permissionRank(p string) int {
	for i, q := range permissions {
		if q == p {
			return i + 1
		}
	}
	return 0
}

// Defaults for keys of the gate sections that a file leaves out while keeping
// their section.
const (
	defaultPermission   = "write"
	defaultSignedLabel  = "signed: {kind}"
	defaultNeedsBrief   = "needs: brief"
	defaultOverdueLabel = "overdue: {kind}"
	defaultWaiveLabel   = "no-brief"
	defaultWaiveCommand = "/no-brief"
)

// checkGate validates the gate sections (kinds referenced by require exist,
// globs are valid, teams are org/slug, ...) and applies key-level defaults.
// Sections the file leaves out were already taken whole from the embedded
// default; here a section that is present gets defaults for its absent keys,
// which matters for the bools whose default is true (a zero value cannot tell
// "absent" from "false", the node tree can). A section that did not decode
// (s.bad) is neither checked nor compared with the others.
func (p *Policy) checkGate(s *policySource) ConfigErrors {
	var errs ConfigErrors
	add := func(msg string, path ...any) {
		errs = append(errs, s.errAt(msg, path...))
	}
	root := s.root

	// kinds
	if !s.bad["kinds"] {
		if len(p.Kinds) == 0 {
			add("no sign-off kinds: define at least one under kinds: (for example usability and backend)", "kinds")
		}
		names := p.KindOrder
		if len(names) != len(p.Kinds) {
			names = names[:0:0]
			for k := range p.Kinds {
				names = append(names, k)
			}
			sort.Strings(names)
			p.KindOrder = names
		}
		for _, name := range names {
			k := p.Kinds[name]
			if k == nil {
				k = &Kind{}
				p.Kinds[name] = k
			}
			if name == "" || strings.ContainsAny(name, " \t\r\n") {
				errs = append(errs, s.keyErrAt(fmt.Sprintf("kind %q has whitespace in its name: people type it in /signoff <kind>, use one word such as %q", name, strings.Join(strings.Fields(name), "-")), "kinds", name))
			}
			if name == "revoke" {
				errs = append(errs, s.keyErrAt(`kind "revoke" clashes with the command /signoff revoke <kind>: choose another name`, "kinds", name))
			}
			for i, u := range k.Users {
				if u = strings.TrimPrefix(strings.TrimSpace(u), "@"); u == "" || strings.ContainsAny(u, " /") {
					add(fmt.Sprintf("kind %q: user %q is not a GitHub login", name, k.Users[i]), "kinds", name, "users", i)
					continue
				}
				k.Users[i] = u
			}
			for i, t := range k.Teams {
				t = strings.TrimPrefix(strings.TrimSpace(t), "@")
				org, slug, ok := strings.Cut(t, "/")
				if !ok || org == "" || slug == "" || strings.ContainsAny(slug, "/ ") || strings.Contains(org, " ") {
					add(fmt.Sprintf("kind %q: team %q must be written org/slug, as in @acme/web-ux", name, k.Teams[i]), "kinds", name, "teams", i)
					continue
				}
				k.Teams[i] = t
			}
			switch {
			case k.Permission == "" && len(k.Users) == 0 && len(k.Teams) == 0:
				k.Permission = defaultPermission
			case k.Permission != "" && permissionRank(k.Permission) == 0:
				add(fmt.Sprintf("kind %q: permission %q is not one of %s", name, k.Permission, strings.Join(permissions, ", ")), "kinds", name, "permission")
			case k.Permission != "" && (len(k.Users) > 0 || len(k.Teams) > 0):
				// Allowed (either suffices), but most often a permission
				// line kept from the template after filling in names.
				who := "users"
				if len(k.Users) == 0 {
					who = "teams"
				} else if len(k.Teams) > 0 {
					who = "users and teams"
				}
				p.Warnings = append(p.Warnings, s.keyErrAt(fmt.Sprintf("kind %q lists %s and also permission: %s, so anyone with %s permission may sign it too; "+
					"remove the permission line to let only the listed %s sign (keep it if both are meant)", name, who, k.Permission, k.Permission, who), "kinds", name, "permission"))
			}
		}
	}

	// require
	defined := strings.Join(p.KindOrder, ", ")
	if s.inherited("kinds") {
		defined += fmt.Sprintf("; these are the default's, as %s has no kinds: section", s.file)
	}
	for i, r := range p.Require {
		if s.bad["require"] {
			break
		}
		if len(r.Kinds) == 0 {
			add("require rule names no kinds: add kinds: [KIND, ...] (the kinds it adds when its conditions hold)", "require", i)
		}
		for j, k := range r.Kinds {
			if _, ok := p.Kinds[k]; !ok && !s.bad["kinds"] {
				add(fmt.Sprintf("require rule names kind %q, which is not defined under kinds: (defined: %s)", k, defined), "require", i, "kinds", j)
			}
		}
		// An empty list is a condition that never holds in a person's mind
		// and always held in the code ("no paths" read as "no condition"):
		// refuse it rather than guess.
		for _, c := range []struct {
			key  string
			list []string
		}{{"paths", r.Paths}, {"labels", r.Labels}} {
			if n := s.node("require", i, c.key); n != nil && len(c.list) == 0 && n.ShortTag() != "!!null" {
				add(fmt.Sprintf("require rule has %s: [], which would match every pull request: list at least one, or remove %s: for a rule without that condition", c.key, c.key), "require", i, c.key)
			}
		}
		for j, g := range r.Paths {
			if g == "" || !doublestar.ValidatePattern(g) {
				add(fmt.Sprintf("require rule path %q is not a valid glob (doublestar syntax: docs/**, **/*.css, {a,b}/*)", g), "require", i, "paths", j)
			}
		}
		if r.Brief != nil {
			// Remember where the condition was written (in the file, or in
			// the default for an inherited require:): FitPolicyToForm reports
			// a field or option the form lacks at this line.
			r.Brief.pos = s.pos("require", i, "brief")
			if r.Brief.Field == "" {
				add("require rule brief: condition names no field: write {field: ID, is: VALUE}", "require", i, "brief")
			}
			if r.Brief.Is == "" && r.Brief.IsNot == "" {
				add("require rule brief: condition needs is: VALUE or is_not: VALUE", "require", i, "brief")
			}
		}
		for j, l := range r.Labels {
			if strings.TrimSpace(l) == "" {
				add("require rule has an empty label", "require", i, "labels", j)
			}
		}
	}

	// link
	if nodeAt(root, "link") != nil && !s.bad["link"] {
		if nodeAt(root, "link", "required") == nil {
			p.Link.Required = true
		}
		if nodeAt(root, "link", "waive_label") == nil {
			p.Link.WaiveLabel = defaultWaiveLabel
		}
		if nodeAt(root, "link", "waive_command") == nil {
			p.Link.WaiveCommand = defaultWaiveCommand
		}
	}
	if c := p.Link.WaiveCommand; c != "" && (!strings.HasPrefix(c, "/") || strings.ContainsAny(c, " \t\n") || c == "/signoff" || c == "/bypass") {
		add(fmt.Sprintf("link.waive_command %q must be one word starting with / (for example /no-brief) and not /signoff or /bypass", c), "link", "waive_command")
	}

	// signoffs
	if nodeAt(root, "signoffs") != nil && !s.bad["signoffs"] && nodeAt(root, "signoffs", "keep_on_same_tree") == nil {
		p.Signoffs.KeepOnSameTree = true
	}

	// pr_labels
	if nodeAt(root, "pr_labels") != nil && !s.bad["pr_labels"] {
		if nodeAt(root, "pr_labels", "signed") == nil {
			p.PRLabels.Signed = defaultSignedLabel
		}
		if nodeAt(root, "pr_labels", "needs_brief") == nil {
			p.PRLabels.NeedsBrief = defaultNeedsBrief
		}
		if nodeAt(root, "pr_labels", "overdue") == nil {
			p.PRLabels.Overdue = defaultOverdueLabel
		}
	}
	if s := p.PRLabels.Signed; s != "" && !strings.Contains(s, "{kind}") {
		add(fmt.Sprintf("pr_labels.signed %q must contain {kind} so that each kind gets its own label", s), "pr_labels", "signed")
	}
	if s := p.PRLabels.Overdue; s != "" && !strings.Contains(s, "{kind}") {
		add(fmt.Sprintf("pr_labels.overdue %q must contain {kind} so that each kind gets its own label", s), "pr_labels", "overdue")
	}

	// bypass
	for i, u := range p.Bypass.Users {
		if u = strings.TrimPrefix(strings.TrimSpace(u), "@"); u == "" || strings.ContainsAny(u, " /") {
			add(fmt.Sprintf("bypass user %q is not a GitHub login", p.Bypass.Users[i]), "bypass", "users", i)
			continue
		}
		p.Bypass.Users[i] = u
	}
	return errs
}
