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
#     size to the last, twokey's against git's. RECORD_SERVERS says how the
#     repositories are served: github (the default) advertises filter and
#     allow-reachable-sha1-in-want, as GitHub does, so twokey fetches the tip
#     commit alone and the trees on the note's path by name; filter
#     advertises filter alone, so twokey fetches the tip without its notes
#     (blob:none); plain advertises neither (git's defaults), so twokey
#     fetches the whole tip, every note included; "github filter plain"
#     measures all three in one run. C git's figures are the plain fetch's
#     whatever the server (the issue's baseline); with github served, a
#     last column is C git fetching from it as a partial clone (a remote
#     with `fetch --filter=blob:none --depth 1`, the notes git reads fetched
#     when it reads them). Unless PULL_REFS is empty, each served repository
#     also has the two refs GitHub keeps for each merged pull request
#     (refs/pull/N/head and refs/pull/N/merge: 200,000 refs at 100,000
#     merges), which a protocol v0 fetch is sent in full;
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
#   RECORD_SIZES="10000 100000" RECORD_SERVERS="github filter plain" AUDIT_N=0 scripts/bench-records.sh
#   AUDIT_N=1000000 RECORD_SIZES= AUDIT_VARIANTS=packed scripts/bench-records.sh  # the audit at 1M merges
#
# Histories are generated once (scripts/genhistory) and cached under
# scripts/bench-data/, which git ignores; a 1M-merge history takes several
# minutes and about 1 GB. Not part of `go test ./...`.
set -euo pipefail
cd "$(dirname "$0")/.."
RECORD_SIZES=${RECORD_SIZES-"1000 10000 100000"}
RECORD_SERVERS=${RECORD_SERVERS:-github}
PULL_REFS=${PULL_REFS-1}
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

# Built as releases and scripts/install.sh build it: static, trimmed.
CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$DATA/twokey" ./cmd/twokey
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
# function named $1, given the numbers calls+1 to calls+RUNS: the function
# runs in a subshell, so it cannot count for itself, and neither can best,
# run in one too; its caller adds RUNS to calls) and prints the best wall
# time, the largest peak RSS and the least CPU time.
calls=0
best() {
	local fn=$1 bw="" br=0 bc=n/a w r c i
	for i in $(seq "$RUNS"); do
		read -r w r c <<<"$($fn $((calls + i)))"
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
	SERVERS=""
	# shellcheck disable=SC2064 # SRV is set; SERVERS is read when the trap runs
	trap 'kill $SERVERS 2>/dev/null; rm -rf "$SRV"' EXIT
	for n in $RECORD_SIZES; do
		repo=$DATA/records-$n
		[ -d "$repo" ] || "$DATA/genhistory" -dir "$repo" -n "$n" -notes-commits >/dev/null 2>&1
		cp -a "$repo" "$SRV/r$n"
		if [ -n "$PULL_REFS" ]; then
			# As on GitHub, each merged pull request leaves two refs,
			# refs/pull/N/head and refs/pull/N/merge, which a protocol v0
			# upload-pack advertises to every fetch.
			main=$(git -C "$SRV/r$n" rev-parse main)
			{
				echo '# pack-refs with: peeled fully-peeled sorted'
				{
					git -C "$SRV/r$n" for-each-ref --format='%(objectname) %(refname)'
					seq "$n" | awk -v m="$main" '{ print m " refs/pull/" $1 "/head"; print m " refs/pull/" $1 "/merge" }'
				} | LC_ALL=C sort -k2
			} >"$SRV/r$n/packed-refs.new"
			mv "$SRV/r$n/packed-refs.new" "$SRV/r$n/packed-refs"
			# and, as GitHub does, hides them from pushes, whatever the kind
			# of server measured.
			git -C "$SRV/r$n" config receive.hideRefs refs/pull
		fi
	done
	# One server per kind, over the same repositories.
	declare -A BASE
	for as in $RECORD_SERVERS; do
		"$DATA/benchrecords" serve -root "$SRV" -addr-file "$SRV/addr-$as" -as "$as" 2>/dev/null &
		SERVERS="$SERVERS $!"
		for _ in $(seq 50); do [ -s "$SRV/addr-$as" ] && break; sleep 0.1; done
		BASE[$as]=$(cat "$SRV/addr-$as")
	done
	any=${RECORD_SERVERS%% *}
	# Call k records merge main~(10*k), which has no record yet (genhistory
	# skips every tenth): each append adds a line and pushes.
	twokey_append() {
		local c
		c=$(git -C "$SRV/r$n" rev-parse "main~$((10 * $1))")
		measure "$DATA/benchrecords" append -url "${BASE[$as]}/r$n" -commit "$c" -pr $(($1 + 1000000))
	}
	# git_setup K sets, for the K-th call, the commit it records (c), the
	# note line it appends (line), and an empty bare repository for C git
	# to append in (tmp), in the caller's locals.
	git_setup() {
		c=$(git -C "$SRV/r$n" rev-parse "main~$((10 * $1))")
		line=$(BENCH_PRINT_LINE=1 "$DATA/benchrecords" append -url x -commit "$c" -pr $(($1 + 1000000)))
		tmp=$(mktemp -d)
		git init -q --bare "$tmp"
	}
	git_append() {
		local c line tmp
		git_setup "$1"
		# shellcheck disable=SC2016 # the inner script expands its own arguments
		measure bash -c 'git -C "$1" fetch -q --depth 1 "$2" refs/notes/twokey:refs/notes/twokey &&
			git -C "$1" -c user.name=git -c user.email=git@example.com notes --ref=twokey append -m "$3" "$4" &&
			git -C "$1" push -q "$2" refs/notes/twokey' _ "$tmp" "${BASE[$any]}/r$n" "$line" "$c"
		rm -rf "$tmp"
	}
	git_filter_append() {
		local c line tmp
		git_setup "$1"
		git -C "$tmp" remote add origin "${BASE[github]}/r$n"
		# shellcheck disable=SC2016 # the inner script expands its own arguments
		measure bash -c 'git -C "$1" fetch -q --depth 1 --filter=blob:none origin refs/notes/twokey:refs/notes/twokey &&
			git -C "$1" -c user.name=git -c user.email=git@example.com notes --ref=twokey append -m "$2" "$3" &&
			git -C "$1" push -q origin refs/notes/twokey' _ "$tmp" "$line" "$c"
		rm -rf "$tmp"
	}
	partial=""
	[[ " $RECORD_SERVERS " != *" github "* ]] || partial=1
	echo
	echo "record job: append one record and push (smart HTTP, git http-backend; twokey served as: $RECORD_SERVERS)"
	printf '%-14s' "notes commits"
	for as in $RECORD_SERVERS; do printf ' %-30s' "twokey $as (wall, RSS, cpu)"; done
	printf ' %-30s' "C git (wall, RSS, cpu)"
	for as in $RECORD_SERVERS; do printf ' %s' "twokey $as/git wall"; done
	[ -z "$partial" ] || printf ' | %s' "C git blob:none (wall, RSS, cpu)"
	echo
	declare -A TW TC PTW PTC
	prev_n="" growth=()
	for n in $RECORD_SIZES; do
		commits=$(git -C "$SRV/r$n" rev-list --count refs/notes/twokey)
		row=$(printf '%-14s' "$commits")
		for as in $RECORD_SERVERS; do
			read -r tw tr tc <<<"$(best twokey_append)"
			calls=$((calls + RUNS))
			TW[$as]=$tw TC[$as]=$tc
			row="$row $(printf '%-30s' "${tw}s ${tr}MB ${tc}s")"
		done
		read -r gw gr gc <<<"$(best git_append)"
		calls=$((calls + RUNS))
		row="$row $(printf '%-30s' "${gw}s ${gr}MB ${gc}s")"
		for as in $RECORD_SERVERS; do row="$row $(ratio "${TW[$as]}" "$gw")x"; done
		if [ -n "$partial" ]; then
			read -r fw fr fc <<<"$(best git_filter_append)"
			calls=$((calls + RUNS))
			row="$row | ${fw}s ${fr}MB ${fc}s"
		fi
		echo "$row"
		# Each append added a line: the notes commits grew by one a run.
		runs=$(( (1 + ${partial:-0} + $(wc -w <<<"$RECORD_SERVERS")) * RUNS ))
		if [ "$(git -C "$SRV/r$n" rev-list --count refs/notes/twokey)" != $((commits + runs)) ]; then
			echo "warning: not every append of $n pushed a notes commit" >&2
		fi
		if [ -n "$prev_n" ]; then
			growth=("growth ${prev_c}→${commits}: C git: wall ×$(ratio "$gw" "$prev_gw"), client cpu ×$(ratio "$gc" "$prev_gc")")
			[ -z "$partial" ] || growth+=("  C git blob:none: wall ×$(ratio "$fw" "$prev_fw"), client cpu ×$(ratio "$fc" "$prev_fc")")
			for as in $RECORD_SERVERS; do
				growth+=("  twokey $as: wall ×$(ratio "${TW[$as]}" "${PTW[$as]}"), client cpu ×$(ratio "${TC[$as]}" "${PTC[$as]}")")
			done
		fi
		for as in $RECORD_SERVERS; do PTW[$as]=${TW[$as]} PTC[$as]=${TC[$as]}; done
		prev_n=$n prev_c=$commits prev_gw=$gw prev_gc=$gc prev_fw=${fw:-} prev_fc=${fc:-}
	done
	for l in "${growth[@]}"; do echo "$l"; done
	if [ -n "$(git -C "$SRV/r$n" fsck --no-progress 2>&1)" ]; then echo "warning: git fsck complains about the served repository" >&2; fi
fi

if [ "${AUDIT_N:-0}" -gt 0 ]; then
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
