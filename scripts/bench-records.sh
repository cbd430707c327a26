#!/usr/bin/env bash
# bench-records.sh measures what issue 15 tabulates, side by side with C git,
# whole processes timed by /usr/bin/time (wall seconds, peak RSS):
#
#  1. the record job's append and push (gitstore.Remote.AppendRecord over
#     smart HTTP, served by `git http-backend`) on notes histories of
#     RECORD_SIZES merges (90% of them recorded, one notes commit each: 1000
#     merges make 900 notes commits), against C git doing the same work:
#     `git fetch --depth 1` of refs/notes/twokey into an empty repository,
#     `git notes append`, `git push`; then the growth from the next-to-last
#     size to the last, twokey's against git's;
#  2. `twokey audit --format json` against `git log --first-parent
#     --notes=twokey --format='%H %N' main` on AUDIT_N merges (0 skips it),
#     with the notes objects packed, loose, and spread over 50 packs
#     (AUDIT_VARIANTS picks some of "packed loose packs").
#
# Every figure is wall seconds, peak RSS and the CPU seconds (user +
# system) of the process measured, the client's only (the server's for
# the record job not included): on a shared machine the CPU time moves
# less than the wall time.
#
#   scripts/bench-records.sh                                   # the defaults below
#   RECORD_SIZES="1000 10000" AUDIT_N=10000 RUNS=3 scripts/bench-records.sh
#   AUDIT_N=1000000 RECORD_SIZES= AUDIT_VARIANTS=packed scripts/bench-records.sh  # the audit at 1M merges
#
# Histories are generated once (scripts/genhistory) and cached under
# scripts/bench-data/, which git ignores; a 1M-merge history takes several
# minutes and about 1 GB. Not part of `go test ./...`.
set -euo pipefail
cd "$(dirname "$0")/.."
RECORD_SIZES=${RECORD_SIZES-"1000 10000 100000"}
AUDIT_N=${AUDIT_N-100000}
AUDIT_VARIANTS=${AUDIT_VARIANTS-"packed loose packs"}
RUNS=${RUNS:-3}
DATA=scripts/bench-data
mkdir -p "$DATA"
DATA=$(cd "$DATA" && pwd)

# /usr/bin/time gives the peak RSS; without it (and without a way to
# install it) only wall times are printed.
TIME=/usr/bin/time
if [ ! -x "$TIME" ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
	apt-get install -y -qq time >/dev/null 2>&1 || true
fi
[ -x "$TIME" ] || TIME=""

go build -o "$DATA/twokey" ./cmd/twokey
go build -o "$DATA/genhistory" ./scripts/genhistory
go build -o "$DATA/benchrecords" ./scripts/benchrecords

# measure runs "$@" and prints "wall_seconds peak_rss_MB cpu_seconds"
# (rss and cpu "n/a" without /usr/bin/time; cpu is the client's user +
# system time, the server's not included). The exit status is ignored (the audit exits 1 on
# exceptions); a failure shows as a time of "fail".
measure() {
	local out
	out=$(mktemp)
	if [ -n "$TIME" ]; then
		if "$TIME" -f '%e %M %U %S' -o "$out" "$@" >/dev/null 2>"$out.err" || grep -q '^Command exited with non-zero status 1$' "$out"; then
			awk 'END { printf "%s %.0f %.2f\n", $1, $2 / 1024, $3 + $4 }' "$out"
		else
			echo "fail n/a n/a"
			cat "$out.err" >&2
		fi
	else
		local TIMEFORMAT='%R'
		{ time "$@" >/dev/null 2>&1 || true; } 2>"$out"
		echo "$(cat "$out") n/a n/a"
	fi
	rm -f "$out" "$out.err"
}

# best runs measure RUNS times (a fresh command line each time from the
# function named $1, given a number never given before: the function runs
# in a subshell, so it cannot count for itself) and prints the best wall
# time, the largest peak RSS and the least CPU time.
calls=0
best() {
	local fn=$1 bw="" br=0 bc=n/a w r c
	for _ in $(seq "$RUNS"); do
		calls=$((calls + 1))
		read -r w r c <<<"$($fn "$calls")"
		if [ "$w" != fail ] && { [ -z "$bw" ] || awk -v a="$w" -v b="$bw" 'BEGIN { exit !(a < b) }'; }; then bw=$w; fi
		if [ "$c" != n/a ] && { [ "$bc" = n/a ] || awk -v a="$c" -v b="$bc" 'BEGIN { exit !(a < b) }'; }; then bc=$c; fi
		if [ "$r" != n/a ] && [ "$r" -gt "$br" ]; then br=$r; fi
	done
	[ -n "$TIME" ] || br=n/a
	echo "${bw:-fail} $br $bc"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a == a + 0) printf "%.2f", a / b; else printf "n/a" }'; }

echo "machine: $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?') cores, $(uptime | sed 's/.*load/load/') before the runs; of $RUNS runs: the best wall time, the largest peak RSS, the least CPU time"

if [ -n "$RECORD_SIZES" ]; then
	SRV=$(mktemp -d)
	trap 'kill "$SERVER" 2>/dev/null; rm -rf "$SRV"' EXIT
	for n in $RECORD_SIZES; do
		repo=$DATA/records-$n
		[ -d "$repo" ] || "$DATA/genhistory" -dir "$repo" -n "$n" -notes-commits >/dev/null 2>&1
		cp -a "$repo" "$SRV/r$n"
	done
	"$DATA/benchrecords" serve -root "$SRV" -addr-file "$SRV/addr" 2>/dev/null &
	SERVER=$!
	for _ in $(seq 50); do [ -s "$SRV/addr" ] && break; sleep 0.1; done
	BASE=$(cat "$SRV/addr")
	# Call k records merge main~(10*k), which has no record yet (genhistory
	# skips every tenth): each append adds a line and pushes.
	twokey_append() {
		local c
		c=$(git -C "$SRV/r$n" rev-parse "main~$((10 * $1))")
		measure "$DATA/benchrecords" append -url "$BASE/r$n" -commit "$c" -pr $(($1 + 1000000))
	}
	git_append() {
		local c line tmp
		c=$(git -C "$SRV/r$n" rev-parse "main~$((10 * $1))")
		line=$(BENCH_PRINT_LINE=1 "$DATA/benchrecords" append -url x -commit "$c" -pr $(($1 + 1000000)))
		tmp=$(mktemp -d)
		git init -q --bare "$tmp"
		# shellcheck disable=SC2016 # the inner script expands its own arguments
		measure bash -c 'git -C "$1" fetch -q --depth 1 "$2" refs/notes/twokey:refs/notes/twokey &&
			git -C "$1" -c user.name=git -c user.email=git@example.com notes --ref=twokey append -m "$3" "$4" &&
			git -C "$1" push -q "$2" refs/notes/twokey' _ "$tmp" "$BASE/r$n" "$line" "$c"
		rm -rf "$tmp"
	}
	echo
	echo "record job: append one record and push (smart HTTP, git http-backend)"
	printf '%-14s %-30s %-30s %s\n' "notes commits" "twokey (wall, RSS, cpu)" "C git (wall, RSS, cpu)" "twokey/git wall"
	prev_n="" prev_tw="" prev_gw=""
	for n in $RECORD_SIZES; do
		commits=$(git -C "$SRV/r$n" rev-list --count refs/notes/twokey)
		read -r tw tr tc <<<"$(best twokey_append)"
		read -r gw gr gc <<<"$(best git_append)"
		printf '%-14s %-30s %-30s %s\n' "$commits" "${tw}s ${tr}MB ${tc}s" "${gw}s ${gr}MB ${gc}s" "$(ratio "$tw" "$gw")x"
		# Each append added a line: the notes commits grew by one a run.
		if [ "$(git -C "$SRV/r$n" rev-list --count refs/notes/twokey)" != $((commits + 2 * RUNS)) ]; then
			echo "warning: not every append of $n pushed a notes commit" >&2
		fi
		if [ -n "$prev_n" ]; then
			growth="growth ${prev_c}→${commits}: wall twokey ×$(ratio "$tw" "$prev_tw"), git ×$(ratio "$gw" "$prev_gw"); client cpu twokey ×$(ratio "$tc" "$prev_tc"), git ×$(ratio "$gc" "$prev_gc")"
		fi
		prev_n=$n prev_c=$commits prev_tw=$tw prev_gw=$gw prev_tc=$tc prev_gc=$gc
	done
	[ -z "${growth:-}" ] || echo "$growth"
	if [ -n "$(git -C "$SRV/r$n" fsck --no-progress 2>&1)" ]; then echo "warning: git fsck complains about the served repository" >&2; fi
fi

if [ "$AUDIT_N" -gt 0 ]; then
	repo=$DATA/history-$AUDIT_N # shared with bench-audit.sh
	[ -d "$repo" ] || "$DATA/genhistory" -dir "$repo" -n "$AUDIT_N" >/dev/null 2>&1
	# The same history with the notes objects loose, then in 50 packs.
	loose=$DATA/history-$AUDIT_N-loose
	packs=$DATA/history-$AUDIT_N-packs
	case " $AUDIT_VARIANTS " in *" loose "* | *" packs "*) need_loose=1 ;; *) need_loose="" ;; esac
	if [ -n "$need_loose" ] && [ ! -d "$loose" ]; then
		rm -rf "$loose.tmp"
		cp -a "$repo" "$loose.tmp"
		tip=$(git -C "$loose.tmp" rev-parse refs/notes/twokey)
		git -C "$loose.tmp" rev-list --objects refs/notes/twokey | cut -d' ' -f1 >"$loose.objects"
		git -C "$loose.tmp" pack-objects -q --stdout <"$loose.objects" >"$loose.pack"
		git -C "$loose.tmp" update-ref -d refs/notes/twokey
		git -C "$loose.tmp" repack -adq
		git -C "$loose.tmp" unpack-objects -q <"$loose.pack"
		git -C "$loose.tmp" update-ref refs/notes/twokey "$tip"
		rm -f "$loose.pack"
		mv "$loose.tmp" "$loose"
	fi
	if [[ " $AUDIT_VARIANTS " == *" packs "* ]] && [ ! -d "$packs" ]; then
		rm -rf "$packs.tmp"
		cp -a "$loose" "$packs.tmp"
		split -n r/50 "$loose.objects" "$packs.chunk."
		for f in "$packs".chunk.*; do git -C "$packs.tmp" pack-objects -q objects/pack/pack <"$f" >/dev/null; done
		rm -f "$packs".chunk.*
		git -C "$packs.tmp" prune-packed
		mv "$packs.tmp" "$packs"
	fi
	echo
	echo "audit: $(git -C "$repo" rev-list --first-parent --count main) first-parent commits, $(git -C "$repo" notes --ref=twokey list | wc -l) notes"
	printf '%-14s %-30s %-30s %s\n' "notes objects" "twokey json (wall, RSS, cpu)" "git log (wall, RSS, cpu)" "twokey/git wall"
	base_tw="" base_tc=""
	for variant in $AUDIT_VARIANTS; do
		case $variant in
		packed) dir=$repo label="packed" ;;
		loose) dir=$loose label="loose" ;;
		packs) dir=$packs label="in 50 packs" ;;
		esac
		tk() { measure "$DATA/twokey" audit --repo "$dir" --ref main --format json; }
		gl() { measure git -C "$dir" log --first-parent --notes=twokey --format='%H %N' main; }
		read -r tw tr tc <<<"$(best tk)"
		read -r gw gr gc <<<"$(best gl)"
		printf '%-14s %-30s %-30s %s\n' "$label" "${tw}s ${tr}MB ${tc}s" "${gw}s ${gr}MB ${gc}s" "$(ratio "$tw" "$gw")x"
		if [ "$variant" = packed ]; then
			base_tw=$tw base_tc=$tc
		elif [ -n "$base_tw" ]; then
			echo "  twokey $label / packed: wall $(ratio "$tw" "$base_tw")x, cpu $(ratio "$tc" "$base_tc")x"
		fi
	done
fi
