// Package dist holds no code, only the tests of how twokey is shipped: the
// install script that action.yml runs (against a local release server), the
// action's metadata, the GoReleaser config, the workflow templates, and the
// project's own copies of the default form and policy.
package dist
