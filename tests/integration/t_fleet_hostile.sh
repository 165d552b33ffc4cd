# t_fleet_hostile.sh - many-server runs against a hostile project: the
# same server named twice, server names that carry terminal escapes, and
# post-mortem reports of hostile receipts

setup_file() {
	cloud_start --tls
	head -c 100000 /dev/urandom >"$WORK/disk.img"
	A=eeeeeeee-0000-4000-8000-000000000001
	B=eeeeeeee-0000-4000-8000-000000000002
	add_server "{\"id\": \"$A\", \"name\": \"alpha\", \"disk\": \"$WORK/disk.img\"}"
	# a name that is the other server's id
	add_server "{\"id\": \"$B\", \"name\": \"$A\", \"disk\": \"$WORK/disk.img\"}"
	# ESC [2J (clear the screen), a newline and an OSC title change
	add_server "{\"id\": \"eeeeeeee-0000-4000-8000-000000000003\", \"name\": \"evil\\u001b[2J\\nfake ok\\u001b]0;pwned\\u0007\", \"disk\": \"$WORK/disk.img\"}"
}

setup_each() {
	ctl config '{"mode": "stock", "save_delay": 0.2, "transition_s": 0.1, "next_save": []}' >/dev/null
	no_faults
}

valid() { # the one schema accepts $OUT
	local problems
	problems=$(/usr/bin/python3 "$TOP/tests/json/validate.py" "$TOP/tests/json/schema.json" <<<"$OUT") ||
		fail "not valid: $problems"
}

images_of() { # images_of ID: how many lifeboat images the cloud holds of it
	snap list "$1" --json | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["images"]))'
}

no_escape() { # no ESC or BEL byte in stdout or stderr
	if printf '%s%s' "$OUT" "$ERR" | grep -qP '[\x1b\x07]'; then
		fail "an escape sequence reached the terminal"
	fi
}

t_same_server_by_name_and_id_is_saved_once() {
	local before
	before=$(images_of "$A")
	run snap create alpha "$A" --parallel 2
	expect_rc 0
	expect_eq "$(images_of "$A")" $((before + 1))
	expect_eq "$(grep -c ' ok ' <<<"$OUT")" 1
}

t_a_name_that_is_another_servers_id() {
	local a b
	a=$(images_of "$A")
	b=$(images_of "$B")
	# the id wins: B's name is A's id, and A is the one saved
	run snap create "$A" --no-wait
	expect_rc 0
	expect_eq "$(images_of "$A")" $((a + 1))
	expect_eq "$(images_of "$B")" "$b"
	# --match on that name selects B only
	run snap create --match "$A" --no-wait
	expect_rc 0
	expect_eq "$(images_of "$A")" $((a + 1))
	expect_eq "$(images_of "$B")" $((b + 1))
}

t_escapes_in_server_names_never_reach_the_terminal() {
	run snap create --match 'evil*' --no-wait
	expect_rc 0
	no_escape
	expect_out 'evil'
	run snap list --match 'evil*'
	expect_rc 0
	no_escape
	fail_id=eeeeeeee-0000-4000-8000-000000000003
	faults "[{\"path\": \"/servers/$fail_id/action\$\", \"method\": \"POST\", \"status\": 409, \"times\": 10, \"message\": \"injected\\u001b[31m\"}]"
	run snap create --match 'evil*' alpha
	expect_rc 15
	no_escape
	expect_out 'failed'
}

t_report_of_a_hostile_receipt() {
	local r=$WORK/hostile.retire.json
	cat >"$r" <<'JSON'
{"schema": 1, "command": "retire",
 "server": {"id": "x\u001b[2J", "display_name": "web\u001b]0;pwned\u0007\nfake: line", "flavor": "f\u009b31m",
            "addresses": {"net\u001b[1m": [{"addr": "10.0.0.1\u001b[K"}]}},
 "image": {"id": "img\u001b[5m", "created_at": "t\r", "consistency": "stopped", "hashes": {"sha512\u001b": "ab\u001bcd"}},
 "local": {"path": "/tmp/no\u001b[2Jsuch", "hashes": {"sha512": "s"}},
 "runs": [{"local_user": "root\u001b[8m", "openstack": {"user": "u\u0007"}}],
 "inventory": {"file": "i\u001b", "result": {"package_manager": "apt\u001b"}},
 "steps": {"delete": {"outcome": "fail\u001bed", "exit_status": 9}}}
JSON
	run snap report "$r"
	expect_rc 0
	no_escape
	expect_out 'web'
	# --json keeps the values, escaped as JSON does
	run snap report "$r" --json
	expect_rc 0
	no_escape
	# wrong types everywhere: no crash, a report or a clear error
	printf '{"steps": {"delete": 7, "snapshot": []}, "server": 5, "image": "x", "runs": {"a": 1}, "local": [], "inventory": 3}' >"$WORK/types.json"
	run snap report "$WORK/types.json"
	[ "$RC" = 0 ] || [ "$RC" = 13 ] || fail "exit code $RC"
	run snap report "$WORK/types.json" --json
	[ "$RC" = 0 ] || [ "$RC" = 13 ] || fail "exit code $RC"
	# deep nesting and a receipt that is not an object
	/usr/bin/python3 -c 'print("{\"steps\": " + "[" * 100000 + "]" * 100000 + "}")' >"$WORK/deep.json"
	run snap report "$WORK/deep.json"
	expect_rc 13
	expect_err 'cannot read the receipt'
	printf '[1]' >"$WORK/arr.json"
	run snap report "$WORK/arr.json"
	expect_rc 13
	expect_err 'not a retire receipt'
}

t_prune_by_id_never_takes_another_servers_images() {
	# B is named A's id; B's images carry that name
	run snap create "$B"
	expect_rc 0
	run snap create "$A"
	expect_rc 0
	run snap prune "$A" --keep 0 --dry-run --json
	expect_rc 0
	expect_eq "$(json_get "sorted({i['server_id'] for i in d['would_delete']})")" "['$A']"
	run snap list "$A" --json
	expect_eq "$(json_get "sorted({i['server_id'] for i in d['images']})")" "['$A']"
	# the fleet hands its workers ids: the same through --match
	run snap prune --match alpha --keep 0 --json
	expect_rc 0
	valid
	[ "$(images_of "$B")" -ge 1 ] || fail "B's images were pruned by A's run"
}
