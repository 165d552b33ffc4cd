#!/usr/bin/env bash
# run.sh [--bin DIR] FILE... [--bin DIR FILE...] - run the integration
# tests: each t_*.sh file starts what it needs; each function named t_* in
# it is one case. --bin names the build whose programs the files after it
# test (default: $LIFEBOAT_BIN, else build/release).
#
# Files run in two lanes at once (IT_JOBS=1: one lane, output as it
# comes): the files marked "# lane: appliance", whose appliance takes a
# whole core, one after another in the first lane, every other file in the
# second, in the order given; the first lane, done, takes the next of those
# too. Each file has its own WORK and HOME, so the lanes share nothing but
# the certificates; a file prints its log whole when it ends.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
: "${LIFEBOAT_BIN:=$TOP/build/release}"
: "${IT_JOBS:=2}"
ROOT=$(mktemp -d "${TMPDIR:-/tmp}/lifeboat-it.XXXXXX")
CERTS=$ROOT/certs
IT_CACHE=$ROOT/cache   # test images several files build alike: lib.sh's from_cache
export TOP CERTS IT_CACHE
"$TOP/tests/cloud/certs.sh" "$CERTS" || { echo "cannot make certificates"; exit 1; }
# Nothing from the caller's environment may steer the tests.
for v in $(env | sed -n 's/^\(OS_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done

# A run is BIN|FILE; its name, e.g. "t_create.sh (asan)", and its WORK.
run_bin() { printf '%s' "${1%%|*}"; }
run_path() { printf '%s' "${1#*|}"; }
run_name() { printf '%s (%s)' "$(basename "$(run_path "$1")")" "$(basename "$(run_bin "$1")")"; }
run_work() { printf '%s/%s.%s' "$ROOT" "$(basename "$(run_bin "$1")")" "$(basename "$(run_path "$1")" .sh)"; }

# run_file RUN: every case of the file, in a WORK of its own; the names of
# the cases end up in $WORK/results as "P name" or "F name".
run_file() {
	local file name
	file=$(run_path "$1")
	name=$(run_name "$1")
	LIFEBOAT_BIN=$(run_bin "$1")
	WORK=$(run_work "$1")
	export LIFEBOAT_BIN WORK HOME=$WORK/home XDG_CONFIG_HOME=$WORK/home/.config
	mkdir -p "$HOME"
	local results=$WORK/results started=$SECONDS
	: >"$results"
	echo "# $name"
	(
		source "$TOP/tests/integration/lib.sh"
		source "$file"
		trap cloud_stop EXIT
		if declare -F setup_file >/dev/null; then
			setup_file || { echo "not ok - setup of $name"; echo "F setup" >>"$results"; exit 1; }
			echo "# setup: $((SECONDS - started)) s"
		fi
		# a test file may have left errexit on: one failing case must not
		# end the loop and take the cases after it along unreported
		set +e
		declare -F | awk '{print $3}' | grep '^t_' >"$WORK/cases"
		for t in $(cat "$WORK/cases"); do
			case_started=$SECONDS
			( set -e; cd "$WORK"
			  if declare -F setup_each >/dev/null; then setup_each; fi
			  "$t" )
			if [ $? = 0 ]; then
				echo "ok - $t # $((SECONDS - case_started)) s"; echo "P $t" >>"$results"
			else
				echo "not ok - $t # $((SECONDS - case_started)) s"; echo "F $t" >>"$results"
				# a file may say what its services logged meanwhile
				if declare -F on_failure >/dev/null; then on_failure; fi
			fi
		done
	)
	# every case ends as passed or failed: one that did neither failed
	if [ -f "$WORK/cases" ]; then
		while read -r t; do
			grep -q "^[PF] $t\$" "$results" || { echo "not ok - $t (never reported)"; echo "F $t" >>"$results"; }
		done <"$WORK/cases"
	fi
	echo "# $name: $((SECONDS - started)) s"
}

# run_lane RUN...: one after another, each log printed whole when its file
# ends (under a lock, so two lanes' logs never interleave). A run another
# lane has claimed (its WORK exists) is skipped: both lanes end on the one
# queue of the other files, whichever is free taking the next.
run_lane() {
	local r
	for r in "$@"; do
		mkdir "$(run_work "$r")" 2>/dev/null || continue
		run_file "$r" >"$(run_work "$r").log" 2>&1
		flock "$ROOT/print.lock" cat "$(run_work "$r").log"
	done
}

runs=()
bin=${LIFEBOAT_BIN:-$TOP/build/release}
while [ $# -gt 0 ]; do
	if [ "$1" = --bin ]; then
		bin=$(cd "$2" && pwd) || exit 1
		shift 2
		continue
	fi
	runs+=("$bin|$1")
	shift
done
if [ ${#runs[@]} = 0 ]; then
	for file in "$TOP"/tests/integration/t_*.sh; do runs+=("$bin|$file"); done
fi
if [ "$IT_JOBS" = 1 ] || [ ${#runs[@]} = 1 ]; then
	for r in "${runs[@]}"; do run_file "$r"; done
else
	heavy=() light=()
	for r in "${runs[@]}"; do
		if grep -q '^# lane: appliance' "$(run_path "$r")"; then heavy+=("$r"); else light+=("$r"); fi
	done
	# the appliance's files one at a time in the first lane, which then
	# helps the second with what is left of the others
	heavy_pid=
	if [ ${#heavy[@]} -gt 0 ]; then run_lane "${heavy[@]}" "${light[@]}" & heavy_pid=$!; fi
	[ ${#light[@]} -gt 0 ] && run_lane "${light[@]}"
	[ -n "$heavy_pid" ] && wait "$heavy_pid"
fi

passed=0 failed=0 failures=()
for r in "${runs[@]}"; do
	results=$(run_work "$r")/results
	if [ ! -f "$results" ]; then
		failures+=("$(run_name "$r"): never ran"); failed=$((failed + 1)); continue
	fi
	passed=$((passed + $(grep -c '^P' "$results")))
	while read -r _ name; do failures+=("$(run_name "$r"): $name"); failed=$((failed + 1)); done \
		< <(grep '^F' "$results")
done
for f in "${failures[@]}"; do echo "FAILED: $f"; done
[ $failed = 0 ] && rm -rf "$ROOT"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
