package tracker

import _ "embed"

// DefaultWorkflowFile is where twokey init writes the workflow that runs the
// twokey action on a repository's issues, pull requests and pushes.
const DefaultWorkflowFile = ".github/workflows/twokey.yml"

// DefaultWorkflowYAML is the workflow twokey init writes: every event twokey
// reacts to, the least permissions each job needs (contents: write only for
// the job that pushes merge records), one run at a time per issue or pull
// request, and no checkout of pull request code. Pushes are recorded on the
// branch named in on.push.branches, "main" here; init substitutes the
// repository's default branch when it can tell.
//
//go:embed defaults/workflow.yml
var DefaultWorkflowYAML []byte
