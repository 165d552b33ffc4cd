#!/bin/sh
# run-unit.sh BINARY... - run the cmocka unit tests; all must pass
set -u
fail=0
for t in "$@"; do
	"$t" || fail=1
done
exit $fail
