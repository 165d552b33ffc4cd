#!/bin/sh
# run.sh BINDIR SECONDS JOBS NAME... - fuzz each target for SECONDS, JOBS at
# a time, under nice. Each grows a working corpus in BINDIR/work/NAME from
# the seeds in tests/fuzz/corpus/NAME and the inputs of earlier crashes in
# tests/fuzz/regress/NAME; a crash leaves its input in BINDIR/crash/NAME.
# Prints, per target, executions per second and coverage (libFuzzer's
# cov: edges and ft: features); fails when any target crashed.
set -u
bindir=$1 secs=$2 jobs=$3
shift 3
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$bindir/log"
one() {
	name=$1
	mkdir -p "$bindir/work/$name" "$bindir/crash/$name" "$top/tests/fuzz/regress/$name"
	# A smaller quarantine than ASan's 256 MB: the targets that make a
	# client per input (a curl handle each) would otherwise pass 1 GB.
	ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=64} \
	nice -n 19 "$bindir/$name" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$bindir/crash/$name/" \
		"$bindir/work/$name" "$top/tests/fuzz/corpus/$name" \
		"$top/tests/fuzz/regress/$name" >"$bindir/log/$name.log" 2>&1
	echo $? >"$bindir/log/$name.rc"
}
if [ "${1:-}" = --one ]; then
	one "$2"
	exit 0
fi
printf '%s\n' "$@" | xargs -P "$jobs" -I{} "$0" "$bindir" "$secs" "$jobs" --one {}
fail=0
printf '%-12s %10s %8s %8s %8s  %s\n' target execs exec/s cov ft result
for name in "$@"; do
	log=$bindir/log/$name.log
	rc=$(cat "$bindir/log/$name.rc" 2>/dev/null || echo 1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	cov=$(printf '%s' "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(printf '%s' "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	result=ok
	if [ "$rc" != 0 ]; then
		result="CRASH (see $log)"
		fail=1
	fi
	printf '%-12s %10s %8s %8s %8s  %s\n' "$name" "${execs:-?}" "${eps:-?}" "${cov:-?}" \
		"${ft:-?}" "$result"
done
exit $fail
