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
 "runs": [{"local_user": "root\u001b[8m", "started_at": "t\u001b[1m", "lifeboat_version": "v\u009b", "uid": 0,
           "openstack": {"user": "u\u0007"}}],
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
	valid
	# wrong types everywhere: no crash, a report or a clear error
	printf '{"steps": {"delete": 7, "snapshot": []}, "server": 5, "image": "x", "runs": {"a": 1}, "local": [], "inventory": 3}' >"$WORK/types.json"
	run snap report "$WORK/types.json"
	expect_rc 13
	run snap report "$WORK/types.json" --json
	expect_rc 13
	valid
	# deep nesting and a receipt that is not an object
	/usr/bin/python3 -c 'print("{\"steps\": " + "[" * 100000 + "]" * 100000 + "}")' >"$WORK/deep.json"
	run snap report "$WORK/deep.json"
	expect_rc 13
	expect_err 'cannot read the receipt'
	# a huge one is refused before it is read
	/usr/bin/python3 -c 'import sys; f = open(sys.argv[1], "w"); f.write("{\"steps\": {}, \"x\": \"" + "a" * (65 << 20) + "\"}")' "$WORK/huge.json"
	run snap report "$WORK/huge.json"
	rm -f "$WORK/huge.json"
	expect_rc 13
	expect_err 'not a retire receipt: .* bytes'
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

t_parallel_out_of_range_is_a_usage_error() {
	local n
	for n in 0 -1 17 99999999999999999999 2x ''; do
		run snap create alpha --parallel "$n"
		expect_rc 2
	done
}

t_duplicate_names_are_told_apart() {
	add_server "{\"id\": \"eeeeeeee-0000-4000-8000-0000000000d1\", \"name\": \"twin\", \"disk\": \"$WORK/disk.img\"}"
	add_server "{\"id\": \"eeeeeeee-0000-4000-8000-0000000000d2\", \"name\": \"twin\", \"disk\": \"$WORK/disk.img\"}"
	run snap create twin --no-wait
	expect_rc 8
	run snap create --match twin --no-wait
	expect_rc 0
	# two lines, and a reader can tell which is which
	expect_eq "$(grep -c 'ok' <<<"$OUT")" 2
	expect_out 'eeeeeeee-0000-4000-8000-0000000000d1'
	expect_out 'eeeeeeee-0000-4000-8000-0000000000d2'
}

t_a_hung_save_ends_within_a_second_of_sigint() {
	faults "[{\"path\": \"/servers/$A/action\$\", \"method\": \"POST\", \"action\": \"hang\", \"times\": 1}]"
	"$LIFEBOAT_BIN/lifeboat-snap" create alpha "$B" --parallel 2 >"$WORK/out" 2>"$WORK/err" &
	local pid=$! workers
	ctl wait-hang '{"timeout": 10}' >/dev/null
	workers=$(ps -o pid= --ppid "$pid" | tr -d ' ' | tr '\n' ' ')
	sleep 0.3
	local stopped=0
	stop_fleet INT "$pid" "$workers" || stopped=1
	ctl release >/dev/null
	[ "$stopped" = 0 ]
	expect_out '^alpha +failed'
}

t_a_killed_worker_is_a_failure_the_others_go_on() {
	ctl config '{"save_delay": 3}' >/dev/null
	"$LIFEBOAT_BIN/lifeboat-snap" create alpha "$B" --parallel 2 >"$WORK/out" 2>"$WORK/err" &
	local pid=$! i workers=""
	for i in $(seq 100); do
		workers=$(ps -o pid= --ppid "$pid" | tr -d ' ' | tr '\n' ' ')
		[ "$(wc -w <<<"$workers")" = 2 ] && break
		sleep 0.1
	done
	sleep 1
	kill -KILL "${workers%% *}"
	set +e
	wait "$pid"
	RC=$?
	set -e
	OUT=$(cat "$WORK/out")
	ERR=$(cat "$WORK/err")
	expect_rc 15
	expect_eq "$(grep -c ' failed ' <<<"$OUT")" 1
	expect_eq "$(grep -c ' ok ' <<<"$OUT")" 1
	expect_out 'failed +.*(137|killed|signal)'
}

t_hostile_metrics_files() {
	local m=$WORK/m.prom
	rm -f "$m"
	# a name with a quote, a backslash, a brace and a newline
	add_server "{\"id\": \"eeeeeeee-0000-4000-8000-0000000000a1\", \"name\": \"in\\\"j}\\\\e\\nct\", \"disk\": \"$WORK/disk.img\"}"
	run snap create --match 'in*' alpha --no-wait --metrics-file "$m"
	expect_rc 0
	promtool check metrics <"$m" || fail "promtool: $(promtool check metrics <"$m" 2>&1)"
	# a symlink is not followed, its target never written
	echo secret >"$WORK/target"
	ln -sf "$WORK/target" "$WORK/link.prom"
	run snap create alpha --no-wait --metrics-file "$WORK/link.prom"
	expect_eq "$(cat "$WORK/target")" secret
	# a directory, binary and huge files: refused or replaced, never a crash
	mkdir -p "$WORK/dir.prom"
	run snap create alpha --no-wait --metrics-file "$WORK/dir.prom"
	[ "$RC" != 0 ] || fail "a directory was taken for the metrics file"
	head -c 4096 /dev/urandom >"$WORK/bin.prom"
	run snap create alpha --no-wait --metrics-file "$WORK/bin.prom"
	[ "$RC" -lt 128 ] || fail "crashed: $RC"
	# a huge one: test_metrics.c (refused at once, left as it was)
	# two runs at once, one file: every series there, counters right; a
	# failure is counted under the name, as the successes are, though
	# the server was named by its id
	rm -f "$m"
	faults "[{\"path\": \"/servers/$A/action\$\", \"method\": \"POST\", \"status\": 409, \"times\": 100}]"
	local p1 p2
	snap create "$B" --metrics-file "$m" >/dev/null 2>&1 & p1=$!
	snap create "$A" --metrics-file "$m" >/dev/null 2>&1 & p2=$!
	wait $p1 || true
	wait $p2 || true
	snap create "$A" --metrics-file "$m" >/dev/null 2>&1 || true
	# B's name is A's id
	grep -q "lifeboat_last_success_timestamp_seconds{server=\"$A\",server_id=\"$B\",command=\"create\"}" "$m" || fail "B lost: $(cat "$m")"
	grep -q "lifeboat_failures_total{server=\"alpha\",server_id=\"$A\",command=\"create\"} 2" "$m" || fail "alpha's count: $(cat "$m")"
	promtool check metrics <"$m" || fail "promtool"
}

t_fleet_json_is_one_valid_document() {
	run snap create --match 'evil*' alpha --no-wait --json
	expect_rc 0
	valid
	run snap list --match 'evil*' alpha --json
	expect_rc 0
	valid
	run snap guard --match 'evil*' alpha --max-age 1d --json
	valid
	run snap prune --match 'evil*' alpha --keep 9 --json
	expect_rc 0
	valid
}
