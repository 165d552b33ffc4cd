#!/bin/sh
# lint-man.sh PROGRAM... - each program's man page is clean mdoc, and
# documents every option its --help shows; with per-command help, each
# command's usage line is its SYNOPSIS line (tests/lint-cli.py);
# lifeboat-json.7 agrees with the schema the JSON tests validate against.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
fail=0 passed=0
for prog in "$@"; do
	name=$(basename "$prog")
	page=$top/man/$name.1
	if mandoc -Tlint -Wwarning "$page"; then
		passed=$((passed + 1))
	else
		echo "not ok - $name.1 has mandoc warnings"; fail=$((fail + 1))
	fi
	text=$(MANWIDTH=200 mandoc -Tascii "$page" | col -b)
	for opt in $("$prog" --help | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
		if printf '%s\n' "$text" | grep -qF -- "$opt"; then
			passed=$((passed + 1))
		else
			echo "not ok - $name.1 does not document $opt"; fail=$((fail + 1))
		fi
	done
	if /usr/bin/python3 "$top/tests/lint-cli.py" "$prog" "$page"; then
		passed=$((passed + 1))
	else
		echo "not ok - $name: help and $name.1 disagree"; fail=$((fail + 1))
	fi
	lines=$("$prog" --help | wc -l)
	if [ "$lines" -le 50 ]; then
		passed=$((passed + 1))
	else
		echo "not ok - $name --help is $lines lines; it must fit on a screen"
		fail=$((fail + 1))
	fi
done
# the pages that belong to no program: clean, and lifeboat-json.7 names
# the fields of tests/json/schema.json with their types
for page in "$top"/man/*.7; do
	if mandoc -Tlint -Wwarning "$page"; then
		passed=$((passed + 1))
	else
		echo "not ok - $(basename "$page") has mandoc warnings"; fail=$((fail + 1))
	fi
done
if /usr/bin/python3 "$top/tests/json/check-man.py" "$top/tests/json/schema.json" \
	"$top/man/lifeboat-json.7"; then
	passed=$((passed + 1))
else
	echo "not ok - lifeboat-json.7 and tests/json/schema.json disagree"; fail=$((fail + 1))
fi
echo "man: $passed passed, $fail failed"
[ $fail = 0 ]
