package dist

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// actionMeta is the part of action.yml's metadata syntax that twokey uses;
// decoding is strict, so a key outside it (a typo) fails the test.
type actionMeta struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Author      string `yaml:"author"`
	Branding    struct {
		Icon  string `yaml:"icon"`
		Color string `yaml:"color"`
	} `yaml:"branding"`
	Inputs map[string]struct {
		Description string `yaml:"description"`
		Required    bool   `yaml:"required"`
		Default     string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
		Value       string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []struct {
			ID    string            `yaml:"id"`
			Shell string            `yaml:"shell"`
			Env   map[string]string `yaml:"env"`
			Run   string            `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

func TestActionMetadata(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var meta actionMeta
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&meta); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if meta.Name == "" || meta.Description == "" || meta.Branding.Icon == "" || meta.Branding.Color == "" {
		t.Errorf("action.yml lacks name, description or branding: %+v", meta)
	}
	if meta.Runs.Using != "composite" || len(meta.Runs.Steps) != 1 {
		t.Fatalf("action.yml runs: using %q with %d steps, want composite with 1", meta.Runs.Using, len(meta.Runs.Steps))
	}

	defaults := map[string]string{}
	for name, in := range meta.Inputs {
		defaults[name] = in.Default
		if in.Description == "" {
			t.Errorf("input %s has no description", name)
		}
	}
	wantDefaults := map[string]string{
		"github-token": "${{ github.token }}",
		"policy-path":  ".github/twokey.yml",
		"form-path":    "",
		"recheck":      "false",
		"version":      "",
	}
	if diff := cmp.Diff(wantDefaults, defaults); diff != "" {
		t.Errorf("inputs and defaults: diff (-want +got)\n%s", diff)
	}

	step := meta.Runs.Steps[0]
	// Inputs reach twokey only through env: (go-githubactions reads INPUT_X
	// for input x; composite actions set none of these by themselves).
	wantEnv := map[string]string{
		"INPUT_GITHUB_TOKEN": "${{ inputs.github-token }}",
		"INPUT_POLICY_PATH":  "${{ inputs.policy-path }}",
		"INPUT_FORM_PATH":    "${{ inputs.form-path }}",
		"INPUT_RECHECK":      "${{ inputs.recheck }}",
		"TWOKEY_VERSION":     "${{ inputs.version }}",
	}
	if diff := cmp.Diff(wantEnv, step.Env); diff != "" {
		t.Errorf("step env: diff (-want +got)\n%s", diff)
	}
	if strings.Contains(step.Run, "${{") {
		t.Errorf("step run interpolates an expression; pass it through env: instead:\n%s", step.Run)
	}
	if step.Shell != "bash" {
		t.Errorf("step shell = %q, want bash (the install script is bash on every OS)", step.Shell)
	}
	if !strings.Contains(step.Run, `"$GITHUB_ACTION_PATH/scripts/install.sh"`) || !strings.Contains(step.Run, `exec "$twokey" action`) {
		t.Errorf("step run does not install and exec twokey action:\n%s", step.Run)
	}

	values := map[string]string{}
	for name, out := range meta.Outputs {
		values[name] = out.Value
	}
	wantOutputs := map[string]string{}
	for _, name := range []string{"verdict", "brief", "findings"} {
		wantOutputs[name] = "${{ steps." + step.ID + ".outputs." + name + " }}"
	}
	if diff := cmp.Diff(wantOutputs, values); diff != "" {
		t.Errorf("outputs: diff (-want +got)\n%s", diff)
	}
}
