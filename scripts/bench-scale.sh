#!/usr/bin/env bash
# bench-scale.sh prints, in one run, every figure issue 15 asks for, each
# side by side with C git doing the same work, the growth ratios included:
#
#  1. the record job's append and push at 10k and 100k merges (9,000 and
#     90,000 notes commits), and its growth, against `git fetch --depth 1`,
#     `git notes append`, `git push`, against a server that answers as
#     GitHub does (partial fetches), one that filters only, and a plain one
#     (scripts/bench-records.sh);
#  2. the whole-history audit of 100k merges with its notes objects packed,
#     loose and spread over 50 packs, against `git log --first-parent
#     --notes` on each (scripts/bench-records.sh);
#  3. `audit --since` windows of 1, 100, 1,000 and 10,000 commits of 1M
#     merges, against `git log --first-parent --since` with and without
#     `--notes` (scripts/bench-audit-window.sh);
#  4. the peak memory of the whole-history audit of 1M merges against git
#     log's (scripts/bench-rss.sh).
#
# The histories are generated on first use under scripts/bench-data/ (git
# ignores it): about 6 minutes and 1.4 GB, the 1M history most of both.
# A full run then takes about 4 minutes on 2 cores. Not part of go test.
#
#   scripts/bench-scale.sh
#   RUNS=5 scripts/bench-scale.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
DATA=scripts/bench-data
export RUNS

echo "== 1, 2: the record job; the audit of 100k merges, packed, loose, in 50 packs"
RECORD_SIZES="10000 100000" RECORD_SERVERS="github filter plain" AUDIT_N=100000 AUDIT_VARIANTS="packed loose packs" scripts/bench-records.sh

echo
echo "== 3: audit --since on 1M merges"
N=1000000 WINDOWS="1 100 1000 10000" scripts/bench-audit-window.sh

echo
echo "== 4: peak memory, the whole-history audit of 1M merges"
scripts/bench-rss.sh "$DATA/twokey" audit --repo "$DATA/history-1000000" --ref main --format json
scripts/bench-rss.sh git -C "$DATA/history-1000000" log --first-parent --notes=twokey --format='%H %N' main
