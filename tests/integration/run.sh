#!/usr/bin/env bash
# run.sh [FILE...] - run the integration tests: each t_*.sh file starts
# what it needs; each function named t_* in it is one case.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
: "${LIFEBOAT_BIN:=$TOP/build/release}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/lifeboat-it.XXXXXX")
CERTS=$WORK/certs
export TOP LIFEBOAT_BIN WORK CERTS
"$TOP/tests/cloud/certs.sh" "$CERTS" || { echo "cannot make certificates"; exit 1; }
# Nothing from the caller's environment may steer the tests.
for v in $(env | sed -n 's/^\(OS_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
export HOME=$WORK/home XDG_CONFIG_HOME=$WORK/home/.config
mkdir -p "$HOME"

files=("$@")
[ ${#files[@]} -gt 0 ] || files=("$TOP"/tests/integration/t_*.sh)
passed=0 failed=0 failures=()
for file in "${files[@]}"; do
	echo "# $(basename "$file")"
	started=$SECONDS
	results=$WORK/results
	: >"$results"
	(
		source "$TOP/tests/integration/lib.sh"
		source "$file"
		trap cloud_stop EXIT
		if declare -F setup_file >/dev/null; then
			setup_file || { echo "not ok - setup of $(basename "$file")"; echo "F setup" >>"$results"; exit 1; }
		fi
		# a test file may have left errexit on: one failing case must not
		# end the loop and take the cases after it along unreported
		set +e
		declare -F | awk '{print $3}' | grep '^t_' >"$WORK/cases"
		for t in $(cat "$WORK/cases"); do
			( set -e; cd "$WORK"
			  if declare -F setup_each >/dev/null; then setup_each; fi
			  "$t" )
			if [ $? = 0 ]; then
				echo "ok - $t"; echo "P $t" >>"$results"
			else
				echo "not ok - $t"; echo "F $t" >>"$results"
			fi
		done
	)
	# every case ends as passed or failed: one that did neither failed
	if [ -f "$WORK/cases" ]; then
		while read -r t; do
			grep -q "^[PF] $t\$" "$results" || { echo "not ok - $t (never reported)"; echo "F $t" >>"$results"; }
		done <"$WORK/cases"
		rm -f "$WORK/cases"
	fi
	echo "# $(basename "$file"): $((SECONDS - started)) s"
	passed=$((passed + $(grep -c '^P' "$results")))
	while read -r _ name; do failures+=("$(basename "$file"): $name"); failed=$((failed + 1)); done \
		< <(grep '^F' "$results")
done
for f in "${failures[@]}"; do echo "FAILED: $f"; done
[ $failed = 0 ] && rm -rf "$WORK"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
