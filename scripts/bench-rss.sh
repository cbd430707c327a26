#!/usr/bin/env bash
# bench-rss.sh runs a command and prints its peak RSS split into anonymous
# memory (the heap: what the process itself holds) and file-backed pages
# (the mapped pack files, index and commit-graph: page cache shared with
# every other reader, dropped first when memory is short), sampled from
# /proc/PID/status every 50 ms; VmHWM is the peak RSS /usr/bin/time reports.
# Linux only.
#
#   scripts/bench-rss.sh scripts/bench-data/twokey audit --repo scripts/bench-data/history-1000000 --ref main --format json
#   scripts/bench-rss.sh git -C scripts/bench-data/history-1000000 log --first-parent --notes=twokey --format='%H %N' main
set -uo pipefail
"$@" >/dev/null 2>&1 &
pid=$!
anon=0 file=0 hwm=0
while kill -0 "$pid" 2>/dev/null; do
	if s=$(cat "/proc/$pid/status" 2>/dev/null); then
		read -r a f h <<<"$(awk '/^RssAnon:/ { a = $2 } /^RssFile:/ { f = $2 } /^VmHWM:/ { h = $2 } END { print a + 0, f + 0, h + 0 }' <<<"$s")"
		((a > anon)) && anon=$a
		((f > file)) && file=$f
		((h > hwm)) && hwm=$h
	fi
	sleep 0.05
done
wait "$pid"
echo "peak anonymous $((anon / 1024)) MB, peak file-backed $((file / 1024)) MB, peak RSS (VmHWM) $((hwm / 1024)) MB: $*"
