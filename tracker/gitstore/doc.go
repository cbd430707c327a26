// Package gitstore keeps twokey's records in git: it reads and writes notes
// under refs/notes/twokey (flat and fan-out trees, as git writes them), pushes
// them with retries that merge concurrent writers line by line, and walks the
// first-parent history of a branch fast enough to audit 100,000 merges.
package gitstore
