#!/usr/bin/env bash
# bench-audit-window.sh times `twokey audit --since` of the last WINDOWS
# commits (each window in turn) of a synthetic history of N merges, best of
# RUNS runs each, against three git commands over the same window:
#
#   - `git log --first-parent --since`, as typed: it reads each commit of
#     the window to print it. This is the command issue 15 timed (0.05 s on
#     1M merges) and set its target against: the 1,000-commit window within
#     3x of it;
#   - the same with --format=%H: the walk alone, from the commit-graph,
#     reading no commit and no note, the least any window can cost;
#   - `git log --first-parent --since --notes=twokey --format='%H %N'`: the
#     same work as the audit's, every commit and note in the window read.
#
# and prints the ratios: the audit of a window must cost the window, not
# the history.
#
#   scripts/bench-audit-window.sh                  # N=1000000 WINDOWS="1 100 1000 10000" RUNS=5
#   N=100000 WINDOWS=1000 scripts/bench-audit-window.sh
#
# The repository is generated once by scripts/genhistory and cached under
# scripts/bench-data/, which git ignores.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
WINDOWS=${WINDOWS:-"1 100 1000 10000"}
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
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else printf "n/a" }'; }

echo "history: $N merges ($REPO); $(getconf _NPROCESSORS_ONLN) cores, $(uptime | sed 's/.*load/load/'); best of $RUNS runs, wall seconds"
# twokey may keep a commit more than git log: one without a record that
# may have landed in the range (RangeRule), the next older one.
printf '%-8s %-11s %-9s %-15s %-13s %-12s %s\n' window "commits" "twokey" "git log --since" "--format=%H" "--notes" "twokey / git log --since, / --format=%H, / --notes"
for w in $WINDOWS; do
	# The window starts when the w-th newest merge landed (its committer
	# date is its merge time in this history, and its record's merged_at).
	since=$(git -C "$REPO" log -1 --format=%cI "main~$((w - 1))")
	git_n=$(git -C "$REPO" log --first-parent --since="$since" --format=%H main | wc -l)
	tk_n=$("$DATA/twokey" audit --repo "$REPO" --ref main --since "$since" --format jsonl 2>/dev/null | grep -c '"type":"commit"' || true)
	gitl_s=$(best git -C "$REPO" log --first-parent --since="$since" main)
	git_s=$(best git -C "$REPO" log --first-parent --since="$since" --format=%H main)
	gitn_s=$(best git -C "$REPO" log --first-parent --since="$since" --notes=twokey --format='%H %N' main)
	tk_s=$(best "$DATA/twokey" audit --repo "$REPO" --ref main --since "$since" --format json)
	printf '%-8s %-11s %-9s %-15s %-13s %-12s %s\n' "$w" "$tk_n/$git_n" "${tk_s}s" "${gitl_s}s" "${git_s}s" "${gitn_s}s" "$(ratio "$tk_s" "$gitl_s"), $(ratio "$tk_s" "$git_s"), $(ratio "$tk_s" "$gitn_s")"
done
