#!/usr/bin/env bash
# bench-audit.sh times `twokey audit --format json` against
# `git log --first-parent --notes=twokey --format='%H %N' main` on the same
# synthetic history (N merges, a record on 90% of them; default 100,000),
# best of RUNS runs each, and prints both wall-clock timings (with the CPU
# time of that run) and the ratio of the wall-clock times.
#
#   scripts/bench-audit.sh            # N=100000 RUNS=5
#   N=10000 RUNS=3 scripts/bench-audit.sh
#
# The repository is generated once (git fast-import, then repack and
# commit-graph) and cached under scripts/bench-data/, which git ignores.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100000}
RUNS=${RUNS:-5}
DATA=scripts/bench-data
REPO=$DATA/history-$N
mkdir -p "$DATA"
# Built as releases and scripts/install.sh build it: static, trimmed.
CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$DATA/twokey" ./cmd/twokey
if [ ! -d "$REPO" ]; then
	go build -o "$DATA/genhistory" ./scripts/genhistory
	"$DATA/genhistory" -dir "$REPO" -n "$N"
fi

# best prints the best wall-clock time of RUNS runs of "$@" and the CPU time
# (user + system) of that run, in seconds: "wall cpu". twokey reads objects
# on every core; git log on one: the CPU time says what the wall time costs.
best() {
	local best="" cpu="" out real user sys
	local TIMEFORMAT='%R %U %S'
	for _ in $(seq "$RUNS"); do
		# the audit exits 1: the history has exceptions
		out=$({ time "$@" >/dev/null 2>&1 || true; } 2>&1)
		read -r real user sys <<<"$out"
		if [ -z "$best" ] || awk -v a="$real" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$real
			cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.3f", u + s }')
		fi
	done
	echo "$best $cpu"
}

load=$(uptime | sed 's/.*load/load/') # before the runs add theirs
read -r git_s git_cpu <<<"$(best git -C "$REPO" log --first-parent --notes=twokey --format='%H %N' main)"
read -r tk_s tk_cpu <<<"$(best "$DATA/twokey" audit --repo "$REPO" --ref main --format json)"
commits=$(git -C "$REPO" rev-list --first-parent --count main)
notes=$(git -C "$REPO" notes --ref=twokey list | wc -l)
echo "history: $commits first-parent commits, $notes notes ($REPO)"
echo "machine: $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?') cores, $load before the runs"
echo "git log --first-parent --notes=twokey --format='%H %N' main: ${git_s}s (cpu ${git_cpu}s; best of $RUNS)"
echo "twokey audit --format json:                               ${tk_s}s (cpu ${tk_cpu}s; best of $RUNS)"
awk -v a="$tk_s" -v b="$git_s" 'BEGIN { printf "ratio twokey/git: %.2fx\n", a / b }'
