// Package action is twokey's GitHub Action face: it reads the Actions
// environment and the event, talks to GitHub through go-github, and feeds the
// domain in package tracker. It never decides policy: every rule lives in
// tracker, and this package only gathers inputs and publishes results.
package action
