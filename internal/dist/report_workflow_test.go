package dist

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportWorkflowExample keeps the scheduled workflow of docs/report.md
// the file scripts/check-dist.sh lints (examples/workflows/report.yml),
// shown whole, and checks what the docs say of it: it runs weekly and by
// hand, reads only, and puts the report and the audit into the job summary,
// the audit last, with the token passed through env: and no expression in a
// run: script.
func TestReportWorkflowExample(t *testing.T) {
	const name = "examples/workflows/report.yml"
	example, err := os.ReadFile(filepath.Join(repoRoot, name))
	if err != nil {
		t.Fatal(err)
	}
	docs, err := os.ReadFile(filepath.Join(repoRoot, "docs", "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(docs), "```yaml\n"+string(example)+"```\n") {
		t.Errorf("docs/report.md does not show %s whole in a yaml block", name)
	}

	wf := readWorkflow(t, name)
	if _, ok := wf.On["schedule"]; !ok {
		t.Errorf("%s: no schedule trigger", name)
	}
	if _, ok := wf.On["workflow_dispatch"]; !ok {
		t.Errorf("%s: no workflow_dispatch trigger", name)
	}
	for scope, level := range wf.Permissions {
		if level != "read" {
			t.Errorf("%s: permission %s: %v, want read", name, scope, level)
		}
	}
	job, ok := wf.Jobs["report"]
	if !ok || len(wf.Jobs) != 1 {
		t.Fatalf("%s: jobs %v, want one named report", name, wf.Jobs)
	}
	var order []string
	for _, s := range job.Steps {
		if strings.Contains(s.Run, "${{") {
			t.Errorf("%s: run: holds an expression (pass it through env:):\n%s", name, s.Run)
		}
		for _, cmd := range []string{"twokey report", "twokey audit"} {
			if strings.Contains(s.Run, cmd) {
				order = append(order, cmd)
				if !strings.Contains(s.Run, `--format markdown >> "$GITHUB_STEP_SUMMARY"`) {
					t.Errorf("%s: %s does not append markdown to the job summary:\n%s", name, cmd, s.Run)
				}
			}
		}
	}
	if strings.Join(order, ", ") != "twokey report, twokey audit" {
		t.Errorf("%s: steps run %q, want the report, then the audit (whose exit 1 must not hide the report)", name, order)
	}
}
