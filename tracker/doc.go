// Package tracker is twokey's domain: issue forms and the briefs filed through
// them, findings and labels, the policy, links from pull requests to briefs,
// sign-offs, the two-key gate, merge records and the audit.
//
// It is pure and offline: it never talks to GitHub, never reads the
// environment, and declares the small interfaces it consumes (History, Notes)
// so that adapters (package action, package gitstore) can feed it.
package tracker
