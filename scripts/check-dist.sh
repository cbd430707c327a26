#!/usr/bin/env bash
# check-dist.sh lints what ships besides Go code: the workflows (the project's
# own, the one `twokey init` writes and the examples the docs show whole) and
# action.yml with actionlint, and the shell scripts with shellcheck. It
# installs actionlint from the Go module proxy at a pinned version into a
# cache directory, and shellcheck with apt when it is missing and apt is there
# (actionlint runs shellcheck on run: scripts when it finds it). The
# GoReleaser config is checked by internal/dist's tests (go test) and, in
# GitHub CI, by goreleaser check.
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIONLINT_VERSION=v1.7.12

tools="${TWOKEY_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/twokey-ci/bin}"
mkdir -p "$tools"
actionlint="$tools/actionlint"
if ! { [ -x "$actionlint" ] && [ "$("$actionlint" -version | head -n 1)" = "$ACTIONLINT_VERSION" ]; }; then
	echo "installing actionlint $ACTIONLINT_VERSION"
	GOBIN="$tools" GOFLAGS='' go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
fi

if ! command -v shellcheck >/dev/null 2>&1; then
	if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
		echo "installing shellcheck with apt"
		apt-get update -qq && apt-get install -y -qq shellcheck >/dev/null
	else
		echo "shellcheck is not installed: run: scripts are not shell-checked"
	fi
fi

echo "actionlint: .github/workflows, action.yml (through uses: ./), tracker/defaults/workflow.yml, examples/workflows"
"$actionlint" .github/workflows/*.yml tracker/defaults/workflow.yml examples/workflows/*.yml

if command -v shellcheck >/dev/null 2>&1; then
	echo "shellcheck: scripts/*.sh .ci/run"
	shellcheck scripts/*.sh .ci/run
fi
