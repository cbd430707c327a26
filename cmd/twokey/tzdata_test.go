package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestZonesWithoutSystemTzdata runs the binary in a mount namespace where
// the system's time zone database is hidden (an empty tmpfs over
// /usr/share/zoneinfo), as on a runner image without tzdata: a policy in
// Europe/Berlin still loads, because twokey carries the database. It needs
// root and unshare(1); elsewhere it is skipped.
func TestZonesWithoutSystemTzdata(t *testing.T) {
	bin := twokeyBinary(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root to hide /usr/share/zoneinfo in a mount namespace")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("needs unshare(1)")
	}
	if _, err := os.Stat("/usr/share/zoneinfo"); err != nil {
		t.Skip("no /usr/share/zoneinfo to hide")
	}
	dir := t.TempDir()
	policy := filepath.Join(dir, "twokey.yml")
	os.WriteFile(policy, []byte("version: 1\ncalendar:\n  zone: Europe/Berlin\nfreeze:\n  - reason: No Friday launches.\n    from: Fri 15:00\n    to: Mon 09:00\n"), 0o644)
	brief := filepath.Join(dir, "brief.md")
	os.WriteFile(brief, []byte("### Objective\n\nMake checkout faster.\n"), 0o644)
	// GOROOT=/nonexistent hides Go's own zoneinfo.zip, which the time
	// package also falls back to; the tmpfs hides the system's.
	script := `mount -t tmpfs tmpfs /usr/share/zoneinfo && test ! -e /usr/share/zoneinfo/Europe/Berlin && exec "$0" validate --policy "$1" "$2"`
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script, bin, policy, brief)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "GOROOT=/nonexistent", "ZONEINFO="}
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Skipf("unshare: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "mount:") || strings.Contains(string(out), "unshare:") {
		t.Skipf("cannot hide the zone database in a namespace here:\n%s", out)
	}
	// The brief is incomplete (exit 1); a zone that cannot be loaded would
	// be a configuration error (exit 2) naming it.
	if code == exitError || strings.Contains(string(out), "time zone") {
		t.Fatalf("with the system tzdata hidden: exit %d\n%s", code, out)
	}
}
