package tracker

import _ "embed"

// DefaultFormFile and DefaultPolicyFile are where a repository keeps its own
// brief form and policy; twokey init writes them there.
const (
	DefaultFormFile   = ".github/ISSUE_TEMPLATE/brief.yml"
	DefaultPolicyFile = ".github/twokey.yml"
)

// DefaultFormYAML is the brief form a repository gets when it has none of its
// own, written from the working agreement: objective, audience, minimum viable
// product, success measure, examples, deadline, what it touches, vendors, size.
//
//go:embed defaults/brief.yml
var DefaultFormYAML []byte

// DefaultPolicyYAML is the policy a repository gets when it has none of its
// own: both usability and backend sign-offs on every pull request, a linked
// brief, and the brief rules that an issue form cannot express. Every option
// is present and commented, so it doubles as the policy reference.
//
//go:embed defaults/twokey.yml
var DefaultPolicyYAML []byte
