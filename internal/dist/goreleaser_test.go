package dist

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// goreleaserConfig is the part of GoReleaser's v2 schema that
// .goreleaser.yaml uses. Decoding is strict: a key outside it fails the
// test, so this stays an honest picture of the file. GoReleaser's own
// `goreleaser check` runs in GitHub CI (.github/workflows/ci.yml), not in
// .ci/run: building GoReleaser from source there takes minutes.
type goreleaserConfig struct {
	Version     int    `yaml:"version"`
	ProjectName string `yaml:"project_name"`
	Dist        string `yaml:"dist"`
	Builds      []struct {
		ID           string   `yaml:"id"`
		Main         string   `yaml:"main"`
		Binary       string   `yaml:"binary"`
		Env          []string `yaml:"env"`
		Goos         []string `yaml:"goos"`
		Goarch       []string `yaml:"goarch"`
		Flags        []string `yaml:"flags"`
		Ldflags      []string `yaml:"ldflags"`
		ModTimestamp string   `yaml:"mod_timestamp"`
	} `yaml:"builds"`
	Archives []struct {
		ID              string   `yaml:"id"`
		IDs             []string `yaml:"ids"`
		NameTemplate    string   `yaml:"name_template"`
		Formats         []string `yaml:"formats"`
		FormatOverrides []struct {
			Goos    string   `yaml:"goos"`
			Formats []string `yaml:"formats"`
		} `yaml:"format_overrides"`
		Files []string `yaml:"files"`
	} `yaml:"archives"`
	Checksum struct {
		NameTemplate string `yaml:"name_template"`
		Algorithm    string `yaml:"algorithm"`
	} `yaml:"checksum"`
	Changelog struct {
		Use  string `yaml:"use"`
		Sort string `yaml:"sort"`
	} `yaml:"changelog"`
	Release struct {
		GitHub struct {
			Owner string `yaml:"owner"`
			Name  string `yaml:"name"`
		} `yaml:"github"`
	} `yaml:"release"`
}

// expand fills GoReleaser's name template the way GoReleaser does for the
// fields the template uses, and fails on any other field.
func expand(t *testing.T, tmpl string, vars map[string]string) string {
	t.Helper()
	out := tmpl
	for k, v := range vars {
		out = strings.ReplaceAll(out, "{{ ."+k+" }}", v)
		out = strings.ReplaceAll(out, "{{."+k+"}}", v)
	}
	if strings.Contains(out, "{{") {
		t.Fatalf("name template %q uses more than %v; teach this test (and install.sh) about it", tmpl, vars)
	}
	return out
}

// TestGoReleaserMatchesInstallScript proves that the release makes exactly
// the archives install.sh asks for, holding a static binary named as it
// expects, with checksums in the file it verifies against.
func TestGoReleaserMatchesInstallScript(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg goreleaserConfig
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf(".goreleaser.yaml: %v", err)
	}
	if cfg.Version != 2 {
		t.Errorf("version = %d, want 2", cfg.Version)
	}
	if cfg.Dist == "" || cfg.Dist == "dist" || cfg.Dist == "./dist" || strings.HasPrefix(cfg.Dist, "release") {
		t.Errorf("dist = %q: GoReleaser deletes its dist with --clean; keep it away from committed files", cfg.Dist)
	}
	if len(cfg.Builds) != 1 || len(cfg.Archives) != 1 {
		t.Fatalf("%d builds and %d archives, want 1 and 1", len(cfg.Builds), len(cfg.Archives))
	}
	build, archive := cfg.Builds[0], cfg.Archives[0]
	if build.Main != "./cmd/twokey" || build.Binary != "twokey" {
		t.Errorf("build main %q binary %q, want ./cmd/twokey and twokey", build.Main, build.Binary)
	}
	if !slices.Contains(build.Env, "CGO_ENABLED=0") {
		t.Errorf("build env %v lacks CGO_ENABLED=0", build.Env)
	}
	ldflags := strings.Join(build.Ldflags, " ")
	for _, want := range []string{"-s", "-w", "-X main.version={{.Version}}"} {
		if !strings.Contains(ldflags, want) {
			t.Errorf("ldflags %q lack %q", ldflags, want)
		}
	}

	// The archive carries the license and every page the README links, so
	// that both travel with the binary; each file named is in the tree.
	for _, want := range []string{"README.md", "LICENSE", "docs/*.md"} {
		if !slices.Contains(archive.Files, want) {
			t.Errorf("archive files %q lack %s", archive.Files, want)
		}
	}
	for _, pattern := range archive.Files {
		if m, err := filepath.Glob(filepath.Join(repoRoot, pattern)); err != nil || len(m) == 0 {
			t.Errorf("archive file %q names nothing in the tree (%v)", pattern, err)
		}
	}

	// Every (goos, goarch) GoReleaser builds, as the archive it lands in.
	var got []string
	for _, goos := range build.Goos {
		for _, goarch := range build.Goarch {
			formats := archive.Formats
			for _, o := range archive.FormatOverrides {
				if o.Goos == goos {
					formats = o.Formats
				}
			}
			if len(formats) != 1 {
				t.Fatalf("%s/%s archives as %v, want one format", goos, goarch, formats)
			}
			name := expand(t, archive.NameTemplate, map[string]string{
				"ProjectName": cfg.ProjectName, "Version": testVersion, "Os": goos, "Arch": goarch,
			})
			got = append(got, name+"."+formats[0])
		}
	}
	var want []string
	for _, r := range runners {
		want = append(want, r.asset)
	}
	slices.Sort(got)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("archives GoReleaser makes vs those install.sh fetches: diff (-install.sh +goreleaser)\n%s", diff)
	}

	if cfg.Checksum.NameTemplate != "checksums.txt" || cfg.Checksum.Algorithm != "sha256" {
		t.Errorf("checksum %+v, want checksums.txt with sha256 (what release/checksums/ holds)", cfg.Checksum)
	}
	if cfg.Release.GitHub.Owner+"/"+cfg.Release.GitHub.Name != "twokey/twokey" {
		t.Errorf("release repository %s/%s, want twokey/twokey (install.sh downloads from there)", cfg.Release.GitHub.Owner, cfg.Release.GitHub.Name)
	}
}
