#!/usr/bin/env bash
# release-check.sh VERSION [DIST] checks that the action installs a release
# GoReleaser just built: it pins VERSION with DIST/checksums.txt in a copy of
# the action's tree, serves DIST's archives from the file system, runs
# scripts/install.sh as a Linux x64 runner would, and checks that the binary
# it gets reports VERSION. DIST defaults to GoReleaser's output, build/goreleaser.
# Used by the release workflow before anything is pushed, and by CI on a
# snapshot build.
set -euo pipefail
cd "$(dirname "$0")/.."

version="${1:?usage: scripts/release-check.sh VERSION [DIST]}"
version="${version#v}"
dist="${2:-build/goreleaser}"
[ -f "$dist/checksums.txt" ] || { echo "release-check: $dist/checksums.txt is missing; run goreleaser first" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/action/release/checksums" "$tmp/serve/v$version" "$tmp/runner"
cp -R action.yml scripts go.mod "$tmp/action/"
echo "$version" >"$tmp/action/release/version"
cp "$dist/checksums.txt" "$tmp/action/release/checksums/v$version.txt"
cp "$dist"/*.tar.gz "$dist"/*.zip "$tmp/serve/v$version/"

bin="$(GITHUB_ACTION_PATH="$tmp/action" RUNNER_OS=Linux RUNNER_ARCH=X64 \
	RUNNER_TEMP="$tmp/runner" RUNNER_TOOL_CACHE="$tmp/runner/cache" \
	TWOKEY_DOWNLOAD_URL="file://$tmp/serve" bash "$tmp/action/scripts/install.sh")"
got="$("$bin" version)"
if [ "$got" != "twokey $version" ]; then
	echo "release-check: the installed binary says '$got', want 'twokey $version'" >&2
	exit 1
fi
echo "release-check: the action installs twokey $version from $dist"
