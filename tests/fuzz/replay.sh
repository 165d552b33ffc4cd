#!/bin/sh
# replay.sh BINDIR NAME... - run each target once over its seed corpus and
# the inputs of every crash found so far: a regression pass, not fuzzing.
set -u
bindir=$1
shift
top=$(cd "$(dirname "$0")/../.." && pwd)
fail=0
for name in "$@"; do
	set -- "$top/tests/fuzz/corpus/$name"
	[ -d "$top/tests/fuzz/regress/$name" ] && set -- "$@" "$top/tests/fuzz/regress/$name"
	if ! "$bindir/$name" "$@" >"$bindir/$name.replay.log" 2>&1; then
		echo "fuzz-replay: $name FAILED:"
		tail -n 30 "$bindir/$name.replay.log"
		fail=1
	else
		tail -n 1 "$bindir/$name.replay.log"
	fi
done
exit $fail
