#!/usr/bin/env bash
# bench-audit-window.sh times `twokey audit --since` of the last WINDOW
# commits of a synthetic history of N merges against
# `git log --first-parent --since` of the same window, best of RUNS runs
# each, and prints both and their ratio: the audit of a window must cost
# the window, not the history (target: within 3x of git log).
#
#   scripts/bench-audit-window.sh                  # N=1000000 WINDOW=1000 RUNS=5
#   N=100000 scripts/bench-audit-window.sh
#
# The repository is generated once by scripts/genhistory and cached under
# scripts/bench-data/, which git ignores.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
WINDOW=${WINDOW:-1000}
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
	local best="" out
	local TIMEFORMAT='%R'
	for _ in $(seq "$RUNS"); do
		out=$({ time "$@" >/dev/null 2>&1 || true; } 2>&1)
		if [ -z "$best" ] || awk -v a="$out" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$out
		fi
	done
	echo "$best"
}

# The window starts when the WINDOW-th newest merge landed (its committer
# date is its merge time in this history, and its record's merged_at).
since=$(git -C "$REPO" log -1 --format=%cI "main~$((WINDOW - 1))")
git_n=$(git -C "$REPO" log --first-parent --since="$since" --format=%H main | wc -l)
tk_n=$("$DATA/twokey" audit --repo "$REPO" --ref main --since "$since" --format jsonl 2>/dev/null | grep -c '"type":"commit"' || true)
git_s=$(best git -C "$REPO" log --first-parent --since="$since" --format=%H main)
tk_s=$(best "$DATA/twokey" audit --repo "$REPO" --ref main --since "$since" --format json)
echo "history: $N merges ($REPO); window: since $since"
echo "git log --first-parent --since: ${git_s}s, $git_n commits (best of $RUNS)"
echo "twokey audit --since:           ${tk_s}s, $tk_n commits (best of $RUNS)"
awk -v a="$tk_s" -v b="$git_s" 'BEGIN { printf "ratio twokey/git: %.2fx\n", a / b }'
