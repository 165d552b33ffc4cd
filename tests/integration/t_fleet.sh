# t_fleet.sh - many servers at once: selectors, --parallel, one failure
# among several, guard --create-if-stale, the metrics file (promtool),
# JSON events for the journal, signals, and the post-mortem report

setup_file() {
	cloud_start --tls
	head -c 200000 /dev/urandom >"$WORK/disk.img"
	local i
	for i in 1 2 3 4; do
		add_server "{\"id\": \"ffffffff-0000-4000-8000-00000000000$i\", \"name\": \"web$i\", \"metadata\": {\"role\": \"web\"}, \"disk\": \"$WORK/disk.img\"}"
	done
	add_server "{\"id\": \"ffffffff-0000-4000-8000-000000000005\", \"name\": \"db1\", \"metadata\": {\"role\": \"db\"}, \"disk\": \"$WORK/disk.img\"}"
	add_server "{\"id\": \"ffffffff-0000-4000-8000-000000000006\", \"name\": \"q\\\"u\\\\ote\", \"disk\": \"$WORK/disk.img\"}"
	WEB2=ffffffff-0000-4000-8000-000000000002
	mkdir -p "$WORK/keep"
}

setup_each() {
	ctl config '{"mode": "stock", "save_delay": 0.3, "transition_s": 0.1, "next_save": []}' >/dev/null
	no_faults
	ctl reset-saves >/dev/null
}

fail_saves_of() { # the cloud refuses createImage for this server, every time
	faults "[{\"path\": \"/servers/$1/action\$\", \"method\": \"POST\", \"status\": 409, \"times\": 100, \"message\": \"injected: no save for you\"}]"
}

# no save of an earlier case still running, then count afresh
saves_reset() {
	local i
	for i in $(seq 100); do
		[ "$(ctl_get saves | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["in_progress"])')" = 0 ] && break
		sleep 0.1
	done
	ctl reset-saves >/dev/null
}

# valid / valid_file KIND FILE: the one schema accepts $OUT / FILE
valid() {
	local problems
	problems=$(/usr/bin/python3 "$TOP/tests/json/validate.py" "$TOP/tests/json/schema.json" <<<"$OUT") ||
		fail "not valid: $problems"
}
valid_file() {
	/usr/bin/python3 "$TOP/tests/json/validate.py" "$TOP/tests/json/schema.json" --as "$1" "$2" ||
		fail "$2 is not a valid $1"
}

saves_max() { ctl_get saves | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["max"])'; }

summary_of() { # summary_of SERVER: the status word of its summary line
	awk -v s="$1" '$1 == s { print $2 }' <<<"$OUT"
}

t_several_servers_one_failing_save() {
	fail_saves_of "$WEB2"
	run snap create web1 web2 web3
	expect_rc 15
	expect_eq "$(summary_of web1)" ok
	expect_eq "$(summary_of web2)" failed
	expect_eq "$(summary_of web3)" ok
	expect_out '^web2 +failed +.*injected: no save for you'
	expect_err '^\[web2\] lifeboat-snap: .*injected'
	expect_err '^lifeboat-snap: create: 1 of 3 servers failed: web2$'
	# the others' images are complete
	local id
	for id in $(awk '$2 == "ok" { print $3 }' <<<"$OUT"); do
		[ "$(snap show "$id" --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["image"]["status"])')" = active ] ||
			fail "image $id is not active"
	done
}

t_one_named_server_keeps_its_own_code() {
	fail_saves_of "$WEB2"
	run snap create web2
	expect_rc 9
	run snap create web2 --match 'web2'
	expect_rc 9
	expect_out '^web2 +failed'
}

t_json_summary_is_an_array() {
	fail_saves_of "$WEB2"
	run snap create web1 web2 --json
	expect_rc 15
	valid
	expect_eq "$(json_get 'd["command"], d["run"]')" "fleet create"
	expect_eq "$(json_get '[r["status"] for r in d["servers"]]')" "['ok', 'failed']"
	expect_eq "$(json_get 'd["servers"][0]["result"]["image"]["status"]')" active
	expect_eq "$(json_get 'd["servers"][1]["exit_status"], d["servers"][1]["result"]["error"]["exit_status"]')" "9 9"
	expect_eq "$(json_get 'd["servers"][0]["server_id"]')" ffffffff-0000-4000-8000-000000000001
	expect_eq "$(json_get 'd["error"]["exit_status"], d["error"]["message"]')" "15 create: 1 of 2 servers failed: web2"
	# -f value: one line per server
	run snap create web1 web2 -f value -c server -c status
	expect_rc 15
	expect_eq "$OUT" "web1 ok
web2 failed"
}

t_parallel_is_honoured() {
	# saves long enough that a worker slow to start on a loaded machine
	# still overlaps the others
	ctl config '{"save_delay": 2.0}' >/dev/null
	saves_reset
	run snap create web1 web2 web3
	expect_rc 0
	expect_eq "$(saves_max)" 2
	saves_reset
	run snap create --match 'web*' --parallel 4
	expect_rc 0
	expect_eq "$(saves_max)" 4
	ctl config '{"save_delay": 0.5}' >/dev/null
	saves_reset
	run snap create web1 web2 --parallel 1
	expect_rc 0
	expect_eq "$(saves_max)" 1
	run snap create web1 --parallel 17
	expect_rc 2
	run snap create web1 web2 --download "$WORK/one.qcow2"
	expect_rc 2
	expect_err 'one file'
	run snap download web1 --parallel 2
	expect_rc 2
}

t_selectors() {
	run snap create --match 'web[13]' --server-property role=web --no-wait
	expect_rc 0
	expect_eq "$(awk '{print $1}' <<<"$OUT" | sort | tr '\n' ' ')" "web1 web3 "
	run snap create --server-property role=db --no-wait
	expect_rc 0
	expect_eq "$(awk '{print $1}' <<<"$OUT" | tr '\n' ' ')" "db1 "
	run snap create --match 'nothing*'
	expect_rc 7
	expect_err 'no server matches'
	local n
	n=$(ctl_get state | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["servers"]))')
	run snap create --all --no-wait --parallel 6
	expect_rc 0
	expect_eq "$(grep -c ' ok ' <<<"$OUT")" "$n"
}

t_list_and_prune_many() {
	run snap create web3 web4
	expect_rc 0
	run snap list web3 web4 --json
	expect_rc 0
	valid
	expect_eq "$(json_get 'all(r["status"] == "ok" and len(r["result"]["images"]) >= 1 for r in d["servers"])')" True
	expect_eq "$(json_get 'sorted({i["server_display_name"] for r in d["servers"] for i in r["result"]["images"]})')" "['web3', 'web4']"
	# list --all still means every image, of every server, in one list
	ctl images '{"name": "not-ours"}' >/dev/null
	run snap list --all --json
	expect_rc 0
	expect_eq "$(json_get 'd["command"], "not-ours" in [i.get("name") for i in d["images"]]')" "list True"
	run snap prune web3 web4 --keep 1 --dry-run
	expect_rc 0
	expect_out '^web3 +ok +would delete'
}

t_guard_create_if_stale() {
	local id=ffffffff-0000-4000-8000-000000000005
	# stale: the only image is two days old
	ctl images "{\"name\": \"old\", \"created_at\": \"2020-01-01T00:00:00Z\", \"checksum\": \"00\", \"properties\": {\"lifeboat.server_id\": \"$id\", \"lifeboat.server_name\": \"db1\"}}" >/dev/null
	run snap guard db1 --max-age 1h
	expect_rc 14
	run snap guard db1 --max-age 1h --create-if-stale --json
	expect_rc 0
	valid
	expect_eq "$(json_get 'd["action"], d["changed"], d["ok"]')" "created True True"
	local created
	created=$(json_get 'd["image"]["id"]')
	expect_eq "$(snap show "$created" --json | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin)["image"]; print(d["status"], d["server_id"])')" "active $id"
	# the rerun finds it fresh and takes nothing
	ctl reset-requests >/dev/null
	run snap guard db1 --max-age 1h --create-if-stale --json
	expect_rc 0
	valid
	expect_eq "$(json_get 'd["action"], d["changed"], d["image"]["id"]')" "fresh False $created"
	expect_eq "$(count_requests POST '/action$')" 0
	# text says which, too
	run snap guard db1 --max-age 1h --create-if-stale
	expect_rc 0
	expect_out '^fresh$'
	run snap guard db1 --max-age 1h --create-if-stale --file x
	expect_rc 2
	# several servers: each says which
	run snap guard db1 fresh9 --max-age 1h --create-if-stale --json
	expect_rc 15
	valid
	expect_eq "$(json_get 'd["servers"][0]["result"]["action"], d["servers"][0]["changed"], d["servers"][1]["status"], d["servers"][1]["exit_status"]')" "fresh False failed 7"
}

t_guard_create_if_stale_no_image_and_failure() {
	add_server "{\"id\": \"ffffffff-0000-4000-8000-000000000007\", \"name\": \"fresh1\", \"disk\": \"$WORK/disk.img\"}"
	run snap guard fresh1 --max-age 1h --create-if-stale
	expect_rc 0
	expect_out '^created [0-9a-f-]{36}$'
	expect_err 'no lifeboat image of .fresh1'
	# a save that fails: guard fails with the save's code, nothing is safe
	add_server "{\"id\": \"ffffffff-0000-4000-8000-000000000008\", \"name\": \"fresh2\", \"disk\": \"$WORK/disk.img\"}"
	ctl config '{"next_save": ["killed"]}' >/dev/null
	run snap guard fresh2 --max-age 1h --create-if-stale --json
	expect_rc 9
	valid
	expect_eq "$(json_get 'd["ok"], d["action"], d["changed"]')" "False None False"
}

prom_value() { # prom_value FILE SERIES-REGEX
	grep -E "^$2 " "$1" | awk '{print $2}'
}

t_metrics_file_passes_promtool() {
	local m=$WORK/lifeboat.prom
	rm -f "$m"
	fail_saves_of "$WEB2"
	run snap create web1 web2 --metrics-file "$m"
	expect_rc 15
	local summary=$OUT
	promtool check metrics <"$m" || fail "promtool: $(promtool check metrics <"$m" 2>&1)"
	expect_eq "$(prom_value "$m" 'lifeboat_failures_total\{server="web2",server_id="ffffffff-0000-4000-8000-000000000002",command="create"\}')" 1
	expect_eq "$(prom_value "$m" 'lifeboat_failures_total\{server="web1",server_id="ffffffff-0000-4000-8000-000000000001",command="create"\}')" 0
	expect_eq "$(prom_value "$m" 'lifeboat_last_image_bytes\{server="web1",server_id="ffffffff-0000-4000-8000-000000000001",command="create"\}')" 200000
	grep -q 'lifeboat_last_success_timestamp_seconds{server="web2"' "$m" && fail "a failed server has a success time"
	local t1
	t1=$(prom_value "$m" 'lifeboat_last_success_timestamp_seconds\{server="web1",server_id="ffffffff-0000-4000-8000-000000000001",command="create"\}')
	[ $(( $(date +%s) - ${t1%.*} )) -lt 60 ] || fail "success time $t1 is not now"
	# download takes it too
	run snap download "$(awk '$1 == "web1" { print $3 }' <<<"$summary")" "$WORK/keep/web1.qcow2" --metrics-file "$m"
	expect_rc 0
	expect_eq "$(prom_value "$m" 'lifeboat_last_image_bytes\{server="web1",server_id="ffffffff-0000-4000-8000-000000000001",command="download"\}')" 200000
	# the counter is carried; web1's series stay when only web2 runs
	run snap create web2 --metrics-file "$m"
	expect_rc 9
	expect_eq "$(prom_value "$m" 'lifeboat_failures_total\{server="web2",server_id="ffffffff-0000-4000-8000-000000000002",command="create"\}')" 2
	expect_eq "$(prom_value "$m" 'lifeboat_last_success_timestamp_seconds\{server="web1",server_id="ffffffff-0000-4000-8000-000000000001",command="create"\}')" "$t1"
	# guard and a label that needs escaping, one server, no fleet
	no_faults
	run snap guard 'q"u\ote' --max-age 1h --create-if-stale --metrics-file "$m"
	expect_rc 0
	grep -qF 'lifeboat_last_image_bytes{server="q\"u\\ote",server_id="ffffffff-0000-4000-8000-000000000006",command="guard"} 200000' "$m" || fail "no escaped label: $(cat "$m")"
	promtool check metrics <"$m" || fail "promtool: $(promtool check metrics <"$m" 2>&1)"
	[ "$(stat -c %a "$m")" = 644 ] || fail "mode $(stat -c %a "$m")"
	# a file that is not ours is left alone
	echo 'lifeboat_failures_total{server="x" garbage' >"$WORK/bad.prom"
	run snap create web1 --no-wait --metrics-file "$WORK/bad.prom"
	expect_rc 13
	expect_eq "$(cat "$WORK/bad.prom")" 'lifeboat_failures_total{server="x" garbage'
}

# Two servers of one name in one run: two series, told apart by the id.
# A file of the version before (no id label) does not break the run: the
# first twin takes its series over (the count goes on), the other starts
# afresh, and another server's old line stays as it was.
t_metrics_twins_are_two_series() {
	local m=$WORK/twins.prom t1=ffffffff-0000-4000-8000-0000000000a1 t2=ffffffff-0000-4000-8000-0000000000a2
	add_server "{\"id\": \"$t1\", \"name\": \"twin\", \"disk\": \"$WORK/disk.img\"}"
	add_server "{\"id\": \"$t2\", \"name\": \"twin\", \"disk\": \"$WORK/disk.img\"}"
	cat >"$m" <<-'PROM'
	# HELP lifeboat_failures_total Runs of the command for the server that failed.
	# TYPE lifeboat_failures_total counter
	lifeboat_failures_total{server="twin",command="create"} 3
	lifeboat_failures_total{server="other",command="create"} 1
	# HELP lifeboat_last_success_timestamp_seconds When the command last succeeded for the server, in Unix time.
	# TYPE lifeboat_last_success_timestamp_seconds gauge
	lifeboat_last_success_timestamp_seconds{server="other",command="create"} 1600000000
	PROM
	run snap create --match twin --metrics-file "$m"
	expect_rc 0
	promtool check metrics <"$m" || fail "promtool: $(promtool check metrics <"$m" 2>&1)"
	local fam
	for fam in lifeboat_last_success_timestamp_seconds lifeboat_last_image_bytes \
		lifeboat_last_duration_seconds lifeboat_failures_total; do
		expect_eq "$(grep -c "^$fam{server=\"twin\",server_id=\"ffffffff-0000-4000-8000-0000000000a[12]\",command=\"create\"} " "$m")" 2 ||
			fail "$fam: $(cat "$m")"
	done
	expect_eq "$(prom_value "$m" "lifeboat_last_image_bytes\\{server=\"twin\",server_id=\"$t2\",command=\"create\"\\}")" 200000
	# the old series went on as one twin's; none is left without an id
	expect_eq "$(prom_value "$m" 'lifeboat_failures_total\{server="twin",server_id="[^"]*",command="create"\}' | sort | tr '\n' ' ')" "0 3 "
	grep -q '{server="twin",command=' "$m" && fail "an id-less twin series is left: $(cat "$m")"
	expect_eq "$(prom_value "$m" 'lifeboat_failures_total\{server="other",command="create"\}')" 1
	expect_eq "$(prom_value "$m" 'lifeboat_last_success_timestamp_seconds\{server="other",command="create"\}')" 1600000000
	# a second run: each twin's own series, updated, nothing added
	local before
	before=$(grep -c '^lifeboat' "$m")
	run snap create --match twin --metrics-file "$m"
	expect_rc 0
	expect_eq "$(grep -c '^lifeboat' "$m")" "$before"
	promtool check metrics <"$m" || fail "promtool: $(promtool check metrics <"$m" 2>&1)"
}

events() { # events FILE: the JSON events of a stderr file, one per line, as PRIO SERVER MESSAGE
	/usr/bin/python3 -c '
import json, re, sys
for line in open(sys.argv[1]):
    m = re.match(r"^<(\d)>(\{.*\})$", line.rstrip("\n"))
    if not m:
        print("NOT-AN-EVENT", line.rstrip()); continue
    e = json.loads(m.group(2))
    assert e["PRIORITY"] == m.group(1) and e["SYSLOG_IDENTIFIER"] == "lifeboat-snap", e
    print(e["PRIORITY"], e.get("LIFEBOAT_SERVER", "-"), e.get("LIFEBOAT_COMMAND", "-"), e["MESSAGE"])
' "$1"
}

t_journal_events() {
	fail_saves_of "$WEB2"
	: >"$WORK/events"
	local stream
	stream=$(stat -c '%d:%i' "$WORK/events")
	set +e
	JOURNAL_STREAM=$stream "$LIFEBOAT_BIN/lifeboat-snap" create web1 web2 >"$WORK/out" 2>>"$WORK/events"
	RC=$?
	set -e
	expect_rc 15
	OUT=$(events "$WORK/events") ERR=
	expect_not 'NOT-AN-EVENT'
	expect_out '^3 web2 create lifeboat-snap: .*injected'
	expect_out '^3 web2 create create web2: failed: '
	expect_out '^6 web1 create create web1: ok: [0-9a-f-]{36}$'
	expect_out '^6 web1 create saving server web1'
	# one server, no fleet: the same events, and an error at the end
	: >"$WORK/events"
	stream=$(stat -c '%d:%i' "$WORK/events")
	set +e
	JOURNAL_STREAM=$stream "$LIFEBOAT_BIN/lifeboat-snap" create web2 >"$WORK/out" 2>>"$WORK/events"
	RC=$?
	set -e
	expect_rc 9
	OUT=$(events "$WORK/events") ERR=
	expect_not 'NOT-AN-EVENT'
	expect_out '^3 web2 create create web2: failed: .*exit status 9'
	# a JOURNAL_STREAM of another file (inherited) changes nothing
	run env JOURNAL_STREAM=1:1 "$LIFEBOAT_BIN/lifeboat-snap" create web2
	expect_rc 9
	expect_err '^lifeboat-snap: .*injected'
	# --log-json: the same lines, without the journal's prefix
	run snap create web2 --log-json
	expect_rc 9
	expect_eq "$(/usr/bin/python3 -c 'import json,sys; print(all(json.loads(l)["SYSLOG_IDENTIFIER"]=="lifeboat-snap" for l in open(sys.argv[1])))' "$WORK/err")" True
}

t_signal_ends_every_worker() {
	ctl config '{"save_delay": 60}' >/dev/null
	local sig
	for sig in TERM INT; do
		"$LIFEBOAT_BIN/lifeboat-snap" create web1 web2 web3 --parallel 2 >"$WORK/out" 2>"$WORK/err" &
		local pid=$! i workers=""
		for i in $(seq 100); do
			workers=$(ps -o pid= --ppid "$pid" | tr -d ' ' | tr '\n' ' ')
			[ "$(wc -w <<<"$workers")" = 2 ] && [ "$(ctl_get saves | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["in_progress"])')" -ge 2 ] && break
			sleep 0.1
		done
		[ "$(wc -w <<<"$workers")" = 2 ] || fail "workers: '$workers'"
		stop_fleet "$sig" "$pid" "$workers"
		expect_out '^web3 +skipped'
		expect_out '^web1 +failed .*exit status 130'
	done
}

t_report_after_a_real_retire() {
	add_server "{\"id\": \"ffffffff-0000-4000-8000-000000000009\", \"name\": \"old1\", \"disk\": \"$WORK/disk.img\"}"
	# an inventory as 'lifeboat-extract inventory --json' writes it (its
	# fields; the real one needs a disk with an OS, built in t_inventory.sh)
	cat >"$WORK/inv.json" <<'JSON'
{"schema": 1, "image": "old1.qcow2", "reader": "native", "os": true, "package_manager": "dpkg",
 "packages": 312, "entries": 20456, "owned": 19000, "roots": [], "hidden": {"roots": 1, "size": 4096},
 "unprotected": {"roots": 2, "size": 123456, "drift": 0}, "drift": [], "warnings": [{"path": "/x", "message": "m"}],
 "notes": [], "rescue": []}
JSON
	local f=$WORK/keep/old1.qcow2
	run snap retire old1 --download "$f" --stop --yes --inventory "$WORK/inv.json" \
		--metrics-file "$WORK/retire.prom"
	expect_rc 0
	grep -qx 'lifeboat_last_image_bytes{server="old1",server_id="ffffffff-0000-4000-8000-000000000009",command="retire"} 200000' "$WORK/retire.prom" ||
		fail "retire's metrics: $(cat "$WORK/retire.prom")"
	# no credentials needed: nothing of OS_* is set
	run env -u OS_AUTH_URL -u OS_PASSWORD -u OS_USERNAME "$LIFEBOAT_BIN/lifeboat-snap" report "$f.retire.json" --json
	expect_rc 0
	valid
	valid_file FILE.retire.json "$f.retire.json"
	expect_eq "$(json_get 'd["server"]["id"], d["server"]["name"], d["server"]["status_when_recorded"]')" "ffffffff-0000-4000-8000-000000000009 old1 ACTIVE"
	expect_eq "$(json_get 'd["outcome"]["state"]')" deleted
	expect_eq "$(json_get 'd["stopped"]["how"]')" "stopped by the snapshot step"
	expect_eq "$(json_get 'd["stopped"]["after"] <= d["stopped"]["before"] and d["stopped"]["before"] is not None')" True
	expect_eq "$(json_get 'd["image"]["hash_algo"], d["image"]["consistency"]')" "sha512 stopped"
	expect_eq "$(json_get 'd["image"]["hash"]')" "$(sha512sum <"$WORK/disk.img" | cut -d' ' -f1)"
	expect_eq "$(json_get 'd["copy"]["path"], d["copy"]["present_now"], d["copy"]["size_now"]')" "$f True 200000"
	expect_eq "$(json_get 'd["copy"]["verified_at"] is not None')" True
	expect_eq "$(json_get 'd["runs"][0]["local_user"]')" "$(id -un)@$(hostname)"
	expect_eq "$(json_get 'd["runs"][0]["openstack"]["user"], d["runs"][0]["openstack"]["project"]')" "demo demo"
	expect_eq "$(json_get 'd["inventory"]["packages"], d["inventory"]["unprotected"]["roots"], d["inventory"]["warnings"]')" "312 2 1"
	run snap report "$f.retire.json"
	expect_rc 0
	expect_out '^server: +old1 \(ffffffff-0000-4000-8000-000000000009\)'
	expect_out '^outcome: +deleted at '
	expect_out "^copy: +$f, 200000 bytes"
	expect_out "^run by: +$(id -un)@$(hostname), OpenStack user demo"
	expect_out '^inventory: .*312 packages \(dpkg\)'
	# a receipt that is not one
	echo '[]' >"$WORK/notreceipt.json"
	run snap report "$WORK/notreceipt.json"
	expect_rc 13
	expect_err 'is not a retire receipt'
}

# An inventory whose fields have other types than lifeboat-extract writes
# would make a receipt its own report refuses: retire refuses it first,
# before it stops, saves or writes anything.
t_retire_refuses_a_wrongly_typed_inventory() {
	echo '{"os": true, "packages": "312", "entries": 5}' >"$WORK/badinv.json"
	ctl reset-requests >/dev/null
	run snap retire web4 --download "$WORK/keep/web4.qcow2" --stop --yes --inventory "$WORK/badinv.json"
	expect_rc 13
	expect_err "--inventory: '.*badinv.json' is not the JSON of 'lifeboat-extract inventory --json': packages is a string, not an integer or null"
	expect_eq "$(count_requests POST '/action$')" 0
	[ ! -e "$WORK/keep/web4.qcow2.retire.json" ] || fail "a receipt was written"
}

t_parent_killed_takes_its_workers() {
	ctl config '{"save_delay": 60}' >/dev/null
	"$LIFEBOAT_BIN/lifeboat-snap" create web1 web2 >"$WORK/out" 2>"$WORK/err" &
	local pid=$! i workers=""
	for i in $(seq 100); do
		workers=$(ps -o pid= --ppid "$pid" | tr -d ' ' | tr '\n' ' ')
		[ "$(wc -w <<<"$workers")" = 2 ] && break
		sleep 0.1
	done
	[ "$(wc -w <<<"$workers")" = 2 ] || fail "workers: '$workers'"
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	local w alive
	for i in $(seq 20); do
		alive=""
		# a zombie has ended: only its reaper (init, or a subreaper) is late
		for w in $workers; do
			[ -e "/proc/$w/stat" ] && [ "$(awk '{print $3}' "/proc/$w/stat" 2>/dev/null)" != Z ] &&
				alive="$alive $w"
		done
		[ -z "$alive" ] && break
		sleep 0.1
	done
	[ -z "$alive" ] || fail "workers left running:$alive"
}

# Each SERVER is resolved once, before any worker starts: renaming servers
# while the first one saves cannot point the second worker at another.
t_a_rename_meanwhile_never_points_a_worker_at_another_server() {
	local a=ffffffff-0000-4000-8000-0000000000a1 b=ffffffff-0000-4000-8000-0000000000a2
	local c=ffffffff-0000-4000-8000-0000000000a3 i
	add_server "{\"id\": \"$a\", \"name\": \"ra\", \"disk\": \"$WORK/disk.img\"}"
	add_server "{\"id\": \"$b\", \"name\": \"rb\", \"disk\": \"$WORK/disk.img\"}"
	add_server "{\"id\": \"$c\", \"name\": \"rc\", \"disk\": \"$WORK/disk.img\"}"
	ctl config '{"save_delay": 2.0}' >/dev/null
	snap create ra rb --parallel 1 >"$WORK/rename.out" 2>"$WORK/rename.err" &
	local pid=$!
	for i in $(seq 200); do
		[ "$(count_requests POST "/servers/$a/action\$")" -ge 1 ] && break
		sleep 0.05
	done
	ctl server-update "{\"id\": \"$b\", \"name\": \"rb-old\"}" >/dev/null
	ctl server-update "{\"id\": \"$c\", \"name\": \"rb\"}" >/dev/null
	wait "$pid"
	RC=$?
	expect_rc 0
	run snap list "$c" --json
	expect_eq "$(json_get 'len(d["images"])')" 0
	run snap list "$b" --json
	expect_eq "$(json_get 'len(d["images"])')" 1
}
