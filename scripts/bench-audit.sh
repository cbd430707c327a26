#!/usr/bin/env bash
# bench-audit.sh times `twokey audit --format json` against
# `git log --first-parent --notes=twokey --format='%H %N' main` on the same
# synthetic history (N merges, a record on 90% of them; default 100,000),
# best of RUNS runs each, and prints both timings and the ratio.
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
go build -o "$DATA/twokey" ./cmd/twokey
if [ ! -d "$REPO" ]; then
	go build -o "$DATA/genhistory" ./scripts/genhistory
	"$DATA/genhistory" -dir "$REPO" -n "$N"
fi

# best prints the best wall-clock time of RUNS runs of "$@", in seconds.
best() {
	local best="" t0 t1 s
	for _ in $(seq "$RUNS"); do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1 || true # the audit exits 1: the history has exceptions
		t1=$(date +%s%N)
		s=$(( (t1 - t0) / 1000000 ))
		if [ -z "$best" ] || [ "$s" -lt "$best" ]; then best=$s; fi
	done
	awk -v ms="$best" 'BEGIN { printf "%.3f\n", ms / 1000 }'
}

git_s=$(best git -C "$REPO" log --first-parent --notes=twokey --format='%H %N' main)
tk_s=$(best "$DATA/twokey" audit --repo "$REPO" --ref main --format json)
commits=$(git -C "$REPO" rev-list --first-parent --count main)
notes=$(git -C "$REPO" notes --ref=twokey list | wc -l)
echo "history: $commits first-parent commits, $notes notes ($REPO)"
echo "git log --first-parent --notes=twokey --format='%H %N' main: ${git_s}s (best of $RUNS)"
echo "twokey audit --format json:                               ${tk_s}s (best of $RUNS)"
awk -v a="$tk_s" -v b="$git_s" 'BEGIN { printf "ratio twokey/git: %.2fx\n", a / b }'
