package tracker

import (
	"errors"
	"strings"
	"testing"
)

func TestDefaultPolicyLoads(t *testing.T) {
	p := DefaultPolicy()
	if p.Version != 1 {
		t.Errorf("DefaultPolicy().Version = %d, want 1", p.Version)
	}
	if got, want := strings.Join(p.KindOrder, ","), "usability,backend,vendor"; got != want {
		t.Errorf("DefaultPolicy().KindOrder = %q, want %q", got, want)
	}
	if p.SHA != GitBlobSHA(DefaultPolicyYAML) || len(p.SHA) != 40 {
		t.Errorf("DefaultPolicy().SHA = %q, want the blob SHA of the embedded file", p.SHA)
	}
}

func TestLoadPolicyErrorsNameFileAndLine(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown top-level key", "version: 1\nbreif: {}\n", `p.yml:2: unknown key "breif"`},
		{"unknown nested key", "version: 1\nlink:\n  requird: true\n", `p.yml:3: unknown key "requird"`},
		{"wrong type", "version: 1\nseparate_signers: [1]\n", "p.yml:2: "},
		{"bad version", "version: 3\n", "p.yml:1:10: version 3 is not supported"},
		{"syntax", "version: 1\nkinds: [\n", "p.yml:"},
		{"empty", "", "p.yml: the file is empty"},
		{"not a mapping", "- a\n", "p.yml:1:1: expected a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadPolicy("p.yml", []byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("LoadPolicy(%q) error = %v, want it to contain %q", tt.yaml, err, tt.want)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Errorf("LoadPolicy(%q) error %T is not a *ConfigError", tt.yaml, err)
			}
		})
	}
}

func TestLoadPolicyTakesMissingSectionsFromDefault(t *testing.T) {
	p, err := LoadPolicy("p.yml", []byte("version: 1\nseparate_signers: false\n"))
	if err != nil {
		t.Fatal(err)
	}
	def := DefaultPolicy()
	if p.SeparateSigners {
		t.Errorf("separate_signers = true, want the file's false")
	}
	if len(p.Kinds) != len(def.Kinds) || len(p.Require) != len(def.Require) {
		t.Errorf("kinds/require not taken from the default: %d/%d kinds, %d/%d rules", len(p.Kinds), len(def.Kinds), len(p.Require), len(def.Require))
	}
	if p.SHA == def.SHA {
		t.Errorf("SHA = default's SHA, want the file's own")
	}
}
