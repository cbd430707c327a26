#!/usr/bin/env bash
# install.sh puts a verified twokey binary on this runner and prints its path
# on stdout; everything else goes to stderr. action.yml runs it, then execs the
# binary. It never runs anything it has not verified or built itself.
#
# 1. The version is TWOKEY_VERSION (the action's `version` input) or, when that
#    is empty, the one pinned in the action's tree: release/version.
# 2. The release archive for RUNNER_OS/RUNNER_ARCH is taken from the tool cache
#    or downloaded from
#      $TWOKEY_DOWNLOAD_URL/v<version>/twokey_<version>_<os>_<arch>.tar.gz (.zip on Windows)
#    where TWOKEY_DOWNLOAD_URL defaults to
#      $GITHUB_SERVER_URL/twokey/twokey/releases/download
#    (set it to use a mirror).
# 3. Its SHA-256 must match release/checksums/v<version>.txt, committed in the
#    action's tree by the release job; a mismatch stops here. The archive is
#    verified and extracted from one private copy in a fresh directory under
#    RUNNER_TEMP: a tool cache shared with other jobs (self-hosted runners) is
#    only ever copied from, never read twice, so nobody can swap the archive
#    between the check and the extraction.
# 4. When no release is pinned, no checksums are committed for it, the runner's
#    OS/arch has no archive, or the download fails (GitHub Enterprise without
#    release assets, `uses: ./`), it builds twokey from the action's tree with
#    the runner's Go instead. TWOKEY_VERSION=source always builds. A build is
#    written under RUNNER_TEMP and never cached between runs: an unpinned ref
#    moves, and its binary must come from the tree of this run.
set -euo pipefail

log() { printf 'twokey: %s\n' "$*" >&2; }
die() {
	printf '::error title=twokey could not start::%s\n' "$*" >&2
	exit 1
}

# unixpath turns a Windows path (Git Bash on a Windows runner) into one the
# tools below understand; elsewhere it changes nothing.
unixpath() {
	if command -v cygpath >/dev/null 2>&1; then cygpath -u "$1"; else printf '%s\n' "$1"; fi
}

base="${TWOKEY_DOWNLOAD_URL:-${GITHUB_SERVER_URL:-https://github.com}/twokey/twokey/releases/download}"
# pin says what to do when twokey cannot be fetched: run a verified release.
pin="pin a release tag (uses: twokey/twokey@v1.2.3, whose tree holds its checksums) so a verified release runs, and set TWOKEY_DOWNLOAD_URL to a mirror of the release assets if ${base%/} cannot be reached from this runner"

root="${GITHUB_ACTION_PATH:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
root="$(unixpath "$root")"
work="$(unixpath "${RUNNER_TEMP:-${TMPDIR:-/tmp}}")"
exe=""
[ "${RUNNER_OS:-}" = Windows ] && exe=".exe"

# build_from_source builds the action's tree with the runner's Go; $1 says why.
build_from_source() {
	log "$1"
	if ! command -v go >/dev/null 2>&1; then
		local want
		want="$(awk '$1 == "go" { print $2; exit }' "$root/go.mod" 2>/dev/null || true)"
		die "$1, and Go is not installed to build twokey from source instead: $pin; or add a step 'uses: actions/setup-go@v5' with go-version: '${want:-stable}' before the twokey step"
	fi
	log "building twokey from source in $root with $(go version)"
	local out
	out="$(mktemp -d "$work/twokey-build.XXXXXX")/twokey$exe"
	(cd "$root" && CGO_ENABLED=0 GOFLAGS=-mod=readonly go build -trimpath -o "$out" ./cmd/twokey) >&2 ||
		die "go build of twokey in $root failed (see above)"
	printf '%s\n' "$out"
	exit 0
}

pinned=""
if [ -f "$root/release/version" ]; then
	pinned="$(tr -d ' \t\r\n' <"$root/release/version")"
fi
requested="${TWOKEY_VERSION:-}"
version="${requested:-$pinned}"
version="${version#v}"

case "$version" in
source) build_from_source "version: source asks for a build from the action's tree" ;;
"") build_from_source "no release is pinned in this action's tree (release/version is missing or empty)" ;;
esac
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$ ]]; then
	die "version '$version' is not a release version like 1.2.3 (or 'source' to build from the action's tree)"
fi

sums="$root/release/checksums/v$version.txt"
if [ ! -f "$sums" ]; then
	if [ -n "$requested" ] && [ "$version" != "${pinned#v}" ]; then
		die "no checksums for twokey v$version are committed in this action's tree ($sums), so it cannot be verified; use twokey/twokey@v$version, whose tree has them, or leave version empty"
	fi
	build_from_source "no checksums for twokey v$version are committed in this action's tree"
fi

case "${RUNNER_OS:-}" in
Linux) os=linux ;;
macOS) os=darwin ;;
Windows) os=windows ;;
*) build_from_source "there is no release archive for RUNNER_OS='${RUNNER_OS:-}'" ;;
esac
case "${RUNNER_ARCH:-}" in
X64) arch=amd64 ;;
ARM64) arch=arm64 ;;
*) build_from_source "there is no release archive for RUNNER_ARCH='${RUNNER_ARCH:-}'" ;;
esac
ext="tar.gz"
[ "$os" = windows ] && ext="zip"
asset="twokey_${version}_${os}_${arch}.${ext}"

want="$(awk -v a="$asset" '$2 == a || $2 == "*" a { print $1; exit }' "$sums")"
[ -n "$want" ] || die "$sums lists no checksum for $asset; the release is incomplete: build from source with version: source"

sha256() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum "$1" | awk '{ print $1 }'
	elif command -v shasum >/dev/null 2>&1; then
		shasum -a 256 "$1" | awk '{ print $1 }'
	else
		die "neither sha256sum nor shasum is installed; twokey cannot verify its download"
	fi
}

# One private copy: the archive is copied (from the tool cache) or downloaded
# into a fresh directory under RUNNER_TEMP (emptied after each job, mode 0700),
# verified there and extracted from there. The shared tool cache is read once,
# by the copy, so a process that swaps it afterwards changes nothing; and
# concurrent jobs on one runner never share a binary.
dir="$(mktemp -d "$work/twokey.XXXXXX")"
copy="$dir/$asset"
cache="$(unixpath "${RUNNER_TOOL_CACHE:-$work}")/twokey/$version/$arch"
cached="$cache/$asset"
if [ -f "$cached" ] && cp "$cached" "$copy" 2>/dev/null && [ "$(sha256 "$copy")" = "$want" ]; then
	log "using twokey v$version from the tool cache ($cached; its private copy is sha256 verified)"
else
	command -v curl >/dev/null 2>&1 ||
		die "curl is not installed; twokey needs it to download its release from TWOKEY_DOWNLOAD_URL (${base%/}) (or set the action's version input to 'source' to build twokey with Go)"
	url="${base%/}/v$version/$asset"
	log "downloading $url"
	if ! curl -fsSL --retry 3 --retry-delay 2 --connect-timeout 15 -o "$copy" "$url"; then
		rm -f "$copy"
		build_from_source "could not download $url (TWOKEY_DOWNLOAD_URL sets where release assets come from)"
	fi
	got="$(sha256 "$copy")"
	if [ "$got" != "$want" ]; then
		rm -f "$copy"
		die "checksum mismatch for $url: its sha256 is $got but $sums says $want; refusing to run it (a corrupted download, a tampered mirror or a wrong TWOKEY_DOWNLOAD_URL); $pin"
	fi
	log "verified sha256 of $asset against $sums"
	# Keep it for the next job (best effort: the next job verifies its own
	# copy again, so a cache entry is never trusted).
	if mkdir -p "$cache" 2>/dev/null && tmp="$(mktemp "$cache/.download.XXXXXX" 2>/dev/null)"; then
		if cp "$copy" "$tmp" 2>/dev/null; then mv -f "$tmp" "$cached" 2>/dev/null || rm -f "$tmp"; else rm -f "$tmp"; fi
	fi
fi

bin="twokey$exe"
if [ "$ext" = zip ]; then
	if command -v unzip >/dev/null 2>&1; then
		unzip -q -o "$copy" "$bin" -d "$dir" >&2
	elif command -v 7z >/dev/null 2>&1; then
		7z x -y -o"$dir" "$copy" "$bin" >&2
	else
		die "neither unzip nor 7z is installed to extract $asset"
	fi
else
	tar -xzf "$copy" -C "$dir" "$bin"
fi
rm -f "$copy"
[ -f "$dir/$bin" ] || die "$asset holds no $bin"
chmod +x "$dir/$bin"
log "running twokey v$version ($os/$arch)"
printf '%s\n' "$dir/$bin"
