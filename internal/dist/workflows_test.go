package dist

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/twokey/twokey/tracker"
)

// TestProjectCopiesOfDefaults keeps the project's own brief form and policy
// the defaults that twokey init writes, so twokey is dogfooded as shipped.
func TestProjectCopiesOfDefaults(t *testing.T) {
	tests := []struct {
		path string
		want []byte
	}{
		{tracker.DefaultFormFile, tracker.DefaultFormYAML},
		{tracker.DefaultPolicyFile, tracker.DefaultPolicyYAML},
	}
	for _, tt := range tests {
		got, err := os.ReadFile(filepath.Join(repoRoot, tt.path))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(tt.want), string(got)); diff != "" {
			t.Errorf("%s differs from the embedded default; copy tracker/defaults over it: diff (-default +project)\n%s", tt.path, diff)
		}
	}
}

// workflow is the part of the workflow syntax these tests look at.
type workflow struct {
	On          map[string]any `yaml:"on"`
	Permissions map[string]any `yaml:"permissions"`
	Jobs        map[string]struct {
		If          string            `yaml:"if"`
		Permissions map[string]string `yaml:"permissions"`
		Concurrency struct {
			Group            string `yaml:"group"`
			CancelInProgress bool   `yaml:"cancel-in-progress"`
		} `yaml:"concurrency"`
		Steps []struct {
			Uses string            `yaml:"uses"`
			With map[string]string `yaml:"with"`
			Run  string            `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func readWorkflow(t *testing.T, name string) workflow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, name))
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return wf
}

// triggers returns each event with its activity types.
func triggers(t *testing.T, wf workflow) map[string][]string {
	t.Helper()
	got := map[string][]string{}
	for event, v := range wf.On {
		m, _ := v.(map[string]any)
		var types []string
		for _, ty := range asList(m["types"]) {
			types = append(types, ty)
		}
		if event == "push" {
			types = append(types, "branches="+strings.Join(asList(m["branches"]), ","))
		}
		if l, ok := v.([]any); ok && event == "schedule" {
			for _, e := range l {
				cron, _ := e.(map[string]any)["cron"].(string)
				types = append(types, "cron="+cron)
			}
		}
		got[event] = types
	}
	return got
}

func asList(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		out = append(out, x.(string))
	}
	return out
}

// TestTwokeyWorkflows checks the properties the design relies on in the
// workflow init writes and in the project's own copy: the events, no
// permissions by default and the least per job, contents: write only where
// records are pushed, no pull request code checked out, and no expression
// inside a run: script.
func TestTwokeyWorkflows(t *testing.T) {
	wantTriggers := map[string][]string{
		"issues":              {"opened", "edited", "reopened", "labeled", "unlabeled"},
		"issue_comment":       {"created", "edited", "deleted"},
		"pull_request_target": {"opened", "edited", "synchronize", "reopened", "ready_for_review", "labeled", "unlabeled", "closed"},
		"pull_request_review": {"submitted", "edited", "dismissed"},
		"merge_group":         {"checks_requested"},
		"push":                {"branches=main"},
		"schedule":            {"cron=*/15 * * * *"},
		"workflow_dispatch":   nil,
	}
	wantPermissions := map[string]map[string]string{
		"gate":    {"issues": "write", "pull-requests": "write", "statuses": "write", "contents": "read"},
		"record":  {"issues": "read", "pull-requests": "read", "contents": "write"},
		"recheck": {"issues": "write", "pull-requests": "write", "statuses": "write", "contents": "read"},
	}
	for _, tt := range []struct {
		name       string
		twokeyUses string
	}{
		{"tracker/defaults/workflow.yml", "twokey/twokey@v1"},
		{".github/workflows/twokey.yml", "./"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wf := readWorkflow(t, tt.name)
			if diff := cmp.Diff(wantTriggers, triggers(t, wf)); diff != "" {
				t.Errorf("triggers: diff (-want +got)\n%s", diff)
			}
			if wf.Permissions == nil || len(wf.Permissions) != 0 {
				t.Errorf("top-level permissions = %v, want {}", wf.Permissions)
			}
			gotPermissions := map[string]map[string]string{}
			for name, job := range wf.Jobs {
				gotPermissions[name] = job.Permissions
				uses := 0
				for _, s := range job.Steps {
					if strings.Contains(s.Run, "${{") {
						t.Errorf("job %s: run: holds an expression (pass it through env:):\n%s", name, s.Run)
					}
					if strings.HasPrefix(s.Uses, "actions/checkout@") {
						// Only the dogfooding copy checks out, and only the default branch.
						if tt.twokeyUses != "./" || s.With["ref"] != "${{ github.event.repository.default_branch }}" || s.With["persist-credentials"] != "false" {
							t.Errorf("job %s checks out %v; only the default branch, without credentials, for uses: ./", name, s.With)
						}
					}
					if s.Uses == tt.twokeyUses {
						uses++
						if s.With["github-token"] != "${{ secrets.GITHUB_TOKEN }}" {
							t.Errorf("job %s: github-token = %q", name, s.With["github-token"])
						}
					}
				}
				if uses != 1 {
					t.Errorf("job %s uses %s %d times, want once", name, tt.twokeyUses, uses)
				}
			}
			if diff := cmp.Diff(wantPermissions, gotPermissions); diff != "" {
				t.Errorf("job permissions: diff (-want +got)\n%s", diff)
			}
			if g := wf.Jobs["gate"].Concurrency; g.Group != "twokey-${{ github.event.issue.number || github.event.pull_request.number || github.ref }}" || g.CancelInProgress {
				t.Errorf("gate concurrency = %+v", g)
			}
			// Which job runs on which event: the gate on issue and pull
			// request events, the re-check on schedules, manual runs and
			// pushes, the record on pushes and merges.
			wantIf := map[string]string{
				"gate":    "github.event_name != 'push' && github.event_name != 'schedule' && github.event_name != 'workflow_dispatch' && !(github.event_name == 'pull_request_target' && github.event.action == 'closed')",
				"recheck": "github.event_name == 'schedule' || github.event_name == 'workflow_dispatch' || github.event_name == 'push'",
			}
			for job, want := range wantIf {
				if got := wf.Jobs[job].If; got != want {
					t.Errorf("job %s if: %q, want %q", job, got, want)
				}
			}
			if g := wf.Jobs["recheck"].Concurrency; g.Group != "twokey-recheck" || g.CancelInProgress {
				t.Errorf("recheck concurrency = %+v", g)
			}
			for _, st := range wf.Jobs["recheck"].Steps {
				if st.Uses == tt.twokeyUses && st.With["recheck"] != "true" {
					t.Errorf("the recheck job's twokey step has recheck: %q, want \"true\"", st.With["recheck"])
				}
			}
		})
	}
}

// TestProjectWorkflowsPinActions keeps third-party actions in the project's
// own workflows pinned to a commit, with the version in a comment.
func TestProjectWorkflowsPinActions(t *testing.T) {
	names, err := filepath.Glob(filepath.Join(repoRoot, ".github", "workflows", "*.yml"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no workflows: %v", err)
	}
	sort.Strings(names)
	pinned := regexp.MustCompile(`^\s*-?\s*uses:\s*([^\s#]+)(\s+#\s*v\S+)?\s*$`)
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			m := pinned.FindStringSubmatch(line)
			if m == nil || m[1] == "./" {
				continue
			}
			if !regexp.MustCompile(`@[0-9a-f]{40}$`).MatchString(m[1]) || m[2] == "" {
				t.Errorf("%s:%d: %s is not pinned to a commit with a # vX.Y.Z comment", filepath.Base(name), i+1, m[1])
			}
		}
	}
}

// TestExampleWorkflowIsTheTemplate keeps the example workflow byte for byte
// the one twokey init writes, and docs/action.md showing it whole.
func TestExampleWorkflowIsTheTemplate(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(repoRoot, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	template, example := read("tracker/defaults/workflow.yml"), read("examples/workflows/twokey.yml")
	if diff := cmp.Diff(template, example); diff != "" {
		t.Errorf("examples/workflows/twokey.yml differs from tracker/defaults/workflow.yml: diff (-template +example)\n%s", diff)
	}
	if !strings.Contains(read("docs/action.md"), "```yaml\n"+template+"```\n") {
		t.Errorf("docs/action.md does not show tracker/defaults/workflow.yml whole in a yaml block")
	}
}
