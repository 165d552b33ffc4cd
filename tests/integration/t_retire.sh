# t_retire.sh - guard and retire: nothing is deleted until its snapshot is
# safe, verified and local; every failure leaves the server and a receipt
# that tells the truth; a rerun goes on where the last one stopped

setup_file() {
	cloud_start --tls
	head -c 700000 /dev/urandom >"$WORK/disk.img"
	mkdir -p "$WORK/keep"
}

setup_each() {
	no_faults
	ctl config '{"mode": "stock", "save_delay": 0.4, "transition_s": 0.2, "next_save": []}' >/dev/null
	rm -rf "$WORK/keep" && mkdir -p "$WORK/keep"
	ctl reset-requests >/dev/null
}

new_server() { # new_server NAME [EXTRA_JSON]
	add_server "{\"name\": \"$1\", \"disk\": \"$WORK/disk.img\"${2:+, $2}}"
}

server_exists() {
	ctl_get state | /usr/bin/python3 -c 'import json,sys; print(any(s["name"]==sys.argv[1] for s in json.load(sys.stdin)["servers"]))' "$1"
}

receipt() { # receipt FILE EXPR
	OUT=$(cat "$1.retire.json")
	json_get "$2"
}

mutations() {
	ctl_get requests | /usr/bin/python3 -c '
import json, sys
print(sum(1 for r in json.load(sys.stdin)["requests"]
          if r["method"] in ("POST", "PUT", "PATCH", "DELETE") and "/identity/" not in r["path"]))'
}

# ---- guard -------------------------------------------------------------

t_guard() {
	new_server g1
	run snap guard g1 --max-age 2h
	expect_rc 14
	expect_err "NOT SAFE: no lifeboat image of 'g1' exists: run 'lifeboat-snap create g1' first"
	run snap guard g1
	expect_rc 2
	local id
	id=$(snap create g1 --download "$WORK/keep/g1.qcow2" 2>/dev/null)
	run snap guard g1 --max-age 2h --file "$WORK/keep/g1.qcow2"
	expect_rc 0
	expect_out "^safe: image $id of 'g1' is complete, 0m0[0-9]s old, with sha512, and matches"
	sleep 2
	run snap guard g1 --max-age 1s --json
	expect_rc 14
	expect_eq "$(json_get 'd["ok"]')" False
	expect_err 'older than --max-age 0m01s: take a new one'
	flip_byte "$WORK/keep/g1.qcow2" 1000
	run snap guard g1 --max-age 2h --file "$WORK/keep/g1.qcow2"
	expect_rc 11
	expect_err "is not image $id: its sha512 differs"
	run snap guard g1 --max-age 2h --file "$WORK/keep/nope.qcow2"
	expect_rc 13
	ctl config '{"save_delay": 30}' >/dev/null
	snap create g1 --no-wait >/dev/null 2>&1
	run snap guard g1 --max-age 2h
	expect_rc 0
	expect_out "image $id"
}

# ---- retire --------------------------------------------------------------

t_retire_happy_path() {
	new_server r1 '"key_name": "ops"'
	run snap retire r1 --download "$WORK/keep/r1.qcow2" --yes
	expect_rc 0
	expect_eq "$OUT" "$WORK/keep/r1.qcow2.retire.json"
	expect_eq "$(server_exists r1)" False
	expect_eq "$(sha512sum <"$WORK/keep/r1.qcow2" | cut -d' ' -f1)" "$(sha512sum <"$WORK/disk.img" | cut -d' ' -f1)"
	local f=$WORK/keep/r1.qcow2
	expect_eq "$(receipt "$f" 'd["server"]["name"]')" r1
	expect_eq "$(receipt "$f" 'd["server"]["key_name"]')" ops
	expect_eq "$(receipt "$f" '[d["steps"][s]["outcome"] for s in ("record","snapshot","download","delete")]')" \
		"['done', 'done', 'done', 'done']"
	expect_eq "$(receipt "$f" 'd["image"]["os_hash_algo"]')" sha512
	expect_eq "$(receipt "$f" 'd["local_path"]')" "$f"
	expect_eq "$(receipt "$f" 'all(s["started_at"] <= s["finished_at"] for s in d["steps"].values())')" True
}

t_retire_dry_run_mutates_nothing() {
	new_server r2
	run snap retire r2 --download "$WORK/keep/r2.qcow2" --dry-run
	expect_rc 0
	expect_out "plan for retiring server 'r2'"
	expect_out 'delete the server, after typing its name'
	expect_eq "$(mutations)" 0
	expect_eq "$(server_exists r2)" True
	[ ! -e "$WORK/keep/r2.qcow2.retire.json" ] || fail "dry run wrote a receipt"
	[ ! -e "$WORK/keep/r2.qcow2" ] || fail "dry run downloaded"
}

t_retire_without_terminal_needs_yes() {
	new_server r3
	run snap retire r3 --download "$WORK/keep/r3.qcow2" </dev/null
	expect_rc 2
	expect_err 'no terminal to ask on; pass --yes'
	expect_eq "$(server_exists r3)" True
	expect_eq "$(receipt "$WORK/keep/r3.qcow2" 'd["steps"]["download"]["outcome"]')" done
	# the rerun asks nothing it has done already
	ctl reset-requests >/dev/null
	run snap retire r3 --download "$WORK/keep/r3.qcow2" --yes
	expect_rc 0
	expect_err 'snapshot: done in an earlier run'
	expect_eq "$(count_requests POST '/action$')" 0
	expect_eq "$(count_requests GET '/file$')" 0
	expect_eq "$(server_exists r3)" False
}

t_retire_confirmation_by_typing_the_name() {
	new_server r4
	run /usr/bin/python3 "$TOP/tests/integration/pty_run.py" wrong --prompt 'to delete it: ' \
		"$LIFEBOAT_BIN/lifeboat-snap" retire r4 --download "$WORK/keep/r4.qcow2"
	expect_rc 2
	expect_out "'wrong' is not 'r4': nothing deleted"
	expect_eq "$(server_exists r4)" True
	run /usr/bin/python3 "$TOP/tests/integration/pty_run.py" r4 --prompt 'to delete it: ' \
		"$LIFEBOAT_BIN/lifeboat-snap" retire r4 --download "$WORK/keep/r4.qcow2"
	expect_rc 0
	expect_eq "$(server_exists r4)" False
}

expect_stopped_at() { # FILE STEP
	expect_err "retire stopped at step '$2'; server '.*' is not deleted"
	expect_eq "$(receipt "$1" "d[\"steps\"][\"$2\"][\"outcome\"]")" failed
}

t_retire_save_refused() {
	new_server r5
	faults '[{"path": "/action$", "method": "POST", "status": 500, "times": 1}]'
	run snap retire r5 --download "$WORK/keep/r5.qcow2" --yes
	expect_rc 9
	expect_stopped_at "$WORK/keep/r5.qcow2" snapshot
	expect_eq "$(server_exists r5)" True
	run snap retire r5 --download "$WORK/keep/r5.qcow2" --yes
	expect_rc 0
	expect_eq "$(server_exists r5)" False
}

t_retire_image_killed_then_a_new_snapshot() {
	new_server r6
	ctl config '{"next_save": ["killed"]}' >/dev/null
	run snap retire r6 --download "$WORK/keep/r6.qcow2" --yes
	expect_rc 9
	expect_stopped_at "$WORK/keep/r6.qcow2" snapshot
	local killed
	killed=$(receipt "$WORK/keep/r6.qcow2" 'd["image_id"]')
	run snap retire r6 --download "$WORK/keep/r6.qcow2" --yes
	expect_rc 0
	[ "$(receipt "$WORK/keep/r6.qcow2" 'd["image_id"]')" != "$killed" ] || fail "reused the killed image"
}

t_retire_timeout_then_the_same_image() {
	new_server r7
	ctl config '{"save_delay": 4}' >/dev/null
	run snap retire r7 --download "$WORK/keep/r7.qcow2" --yes --timeout 1s
	expect_rc 10
	expect_stopped_at "$WORK/keep/r7.qcow2" snapshot
	local first
	first=$(receipt "$WORK/keep/r7.qcow2" 'd["image_id"]')
	ctl reset-requests >/dev/null
	run snap retire r7 --download "$WORK/keep/r7.qcow2" --yes
	expect_rc 0
	expect_eq "$(receipt "$WORK/keep/r7.qcow2" 'd["image_id"]')" "$first"
	expect_eq "$(count_requests POST '/action$')" 0
}

t_retire_hash_mismatch_keeps_the_server() {
	new_server r8
	faults '[{"path": "/file$", "action": "corrupt", "offset": 1234, "times": 1}]'
	run snap retire r8 --download "$WORK/keep/r8.qcow2" --yes
	expect_rc 11
	expect_stopped_at "$WORK/keep/r8.qcow2" download
	expect_eq "$(server_exists r8)" True
	[ ! -e "$WORK/keep/r8.qcow2" ] || fail "a bad file has the final name"
	ctl reset-requests >/dev/null
	run snap retire r8 --download "$WORK/keep/r8.qcow2" --yes
	expect_rc 0
	expect_eq "$(count_requests POST '/action$')" 0
	expect_eq "$(server_exists r8)" False
}

t_retire_delete_refused() {
	new_server r9
	faults '[{"path": "/servers/[^/]+$", "method": "DELETE", "status": 409, "message": "locked", "times": 1}]'
	run snap retire r9 --download "$WORK/keep/r9.qcow2" --yes
	expect_rc 9
	expect_err 'cannot delete server .*HTTP 409: locked'
	expect_eq "$(receipt "$WORK/keep/r9.qcow2" 'd["steps"]["delete"]["outcome"]')" failed
	expect_eq "$(server_exists r9)" True
	run snap retire r9 --download "$WORK/keep/r9.qcow2" --yes
	expect_rc 0
	expect_eq "$(server_exists r9)" False
}

t_retire_refuses_data_volumes() {
	new_server r10 '"data_volumes": [200]'
	run snap retire r10 --download "$WORK/keep/r10.qcow2" --yes
	expect_rc 14
	expect_err '1 data volume\(s\) attached that the image will not contain: [0-9a-f-]+ \(200 GB\)'
	expect_eq "$(mutations)" 0
	run snap retire r10 --download "$WORK/keep/r10.qcow2" --yes --volumes-ok
	expect_rc 0
}

t_retire_conoha_v3_keeps_the_boot_volume() {
	ctl config '{"mode": "conoha-v3"}' >/dev/null
	new_server v1 '"volume_backed": true, "size_gb": 30, "metadata": {"instance_name_tag": "chat-v3"}'
	OS_PROFILE=conoha run snap retire chat-v3 --download "$WORK/keep/v1.qcow2" --yes --stop
	expect_rc 0
	expect_err 'boot volume [0-9a-f-]+ survives the delete; it is kept'
	expect_eq "$(server_exists v1)" False
	local vol
	vol=$(receipt "$WORK/keep/v1.qcow2" '[v["id"] for v in d["volumes"] if v["bootable"]][0]')
	[ "$(ctl_get state | grep -c "$vol")" = 1 ] || fail "boot volume gone"
}

t_retire_conoha_v3_deletes_the_boot_volume_when_asked() {
	ctl config '{"mode": "conoha-v3"}' >/dev/null
	new_server v2 '"volume_backed": true, "size_gb": 30'
	OS_PROFILE=conoha run snap retire v2 --download "$WORK/keep/v2.qcow2" --yes --stop \
		--delete-boot-volume
	expect_rc 0
	local vol
	vol=$(receipt "$WORK/keep/v2.qcow2" '[v["id"] for v in d["volumes"] if v["bootable"]][0]')
	[ "$(ctl_get state | grep -c "$vol")" = 0 ] || fail "boot volume kept"
	expect_eq "$(receipt "$WORK/keep/v2.qcow2" 'd["steps"]["boot volume"]["outcome"]')" done
}
