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

# up_to_the_question SERVER FILE - a retire that does every step but the
# delete: the name typed at its question is wrong
up_to_the_question() {
	run /usr/bin/python3 "$TOP/tests/integration/pty_run.py" wrong --prompt 'to delete it: ' \
		"$LIFEBOAT_BIN/lifeboat-snap" retire "$1" --download "$2" --stop
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
	expect_err "NOT SAFE: no lifeboat image of 'g1' \([0-9a-f-]{36}\) exists: run 'lifeboat-snap create [0-9a-f-]{36}' first"
	run snap guard g1
	expect_rc 2
	local id
	id=$(snap create g1 --download "$WORK/keep/g1.qcow2" 2>/dev/null)
	run snap guard g1 --max-age 2h --file "$WORK/keep/g1.qcow2"
	expect_rc 0
	expect_out "^safe: image 'lifeboat-g1-[0-9T]+\.[0-9]{3}Z-[0-9a-f]{8}' \($id\) of 'g1' \([0-9a-f-]{36}\) is complete, 0m0[0-9]s old, crash-consistent, with sha512, and matches"
	sleep 2
	run snap guard g1 --max-age 1s --json
	expect_rc 14
	expect_eq "$(json_get 'd["ok"]')" False
	expect_err 'older than --max-age 0m01s: take a new one'
	flip_byte "$WORK/keep/g1.qcow2" 1000
	run snap guard g1 --max-age 2h --file "$WORK/keep/g1.qcow2"
	expect_rc 14
	expect_err "is not image $id: its sha512 differs"
	run snap guard g1 --max-age 2h --file "$WORK/keep/nope.qcow2"
	expect_rc 14
	ctl config '{"save_delay": 30}' >/dev/null
	snap create g1 --no-wait >/dev/null 2>&1
	run snap guard g1 --max-age 2h
	expect_rc 0
	expect_out "\\($id\\)"
}

# ---- retire --------------------------------------------------------------

t_retire_happy_path() {
	new_server r1 '"key_name": "ops"'
	run snap retire r1 --download "$WORK/keep/r1.qcow2" --stop --yes
	expect_rc 0
	expect_eq "$OUT" "$WORK/keep/r1.qcow2.retire.json"
	expect_eq "$(server_exists r1)" False
	expect_eq "$(sha512sum <"$WORK/keep/r1.qcow2" | cut -d' ' -f1)" "$(sha512sum <"$WORK/disk.img" | cut -d' ' -f1)"
	local f=$WORK/keep/r1.qcow2
	expect_eq "$(receipt "$f" 'd["server"]["name"]')" r1
	expect_eq "$(receipt "$f" 'd["server"]["key_name"]')" ops
	expect_eq "$(receipt "$f" '[d["steps"][s]["outcome"] for s in ("record","snapshot","download","delete")]')" \
		"['done', 'done', 'done', 'done']"
	expect_eq "$(receipt "$f" 'list(d["image"]["hashes"])[0]')" sha512
	expect_eq "$(receipt "$f" 'd["local"]["path"]')" "$f"
	expect_eq "$(receipt "$f" 'all(s["started_at"] <= s["finished_at"] for s in d["steps"].values())')" True
	# only what a rerun and an auditor need, readable by its owner alone
	expect_eq "$(stat -c %a "$f.retire.json")" 600
	expect_eq "$(receipt "$f" 'sorted(set(d["server"]) - {"addresses", "key_name", "created", "tenant_id", "user_id"})')" \
		"['boot_source', 'display_name', 'flavor', 'flavor_id', 'id', 'image_id', 'name', 'status', 'task_state']"
	expect_eq "$(receipt "$f" 'd["image"]["consistency"]')" stopped
	expect_eq "$(receipt "$f" 'd["local"]["hashes"]["sha512"]')" "$(sha512sum <"$f" | cut -d' ' -f1)"
}

t_retire_dry_run_mutates_nothing() {
	new_server r2
	run snap retire r2 --download "$WORK/keep/r2.qcow2" --stop --dry-run --yes
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
	run snap retire r3 --download "$WORK/keep/r3.qcow2" --stop </dev/null
	expect_rc 2
	expect_err 'no terminal to ask on: pass --yes'
	expect_eq "$(server_exists r3)" True
	expect_eq "$(mutations)" 0
	[ ! -e "$WORK/keep/r3.qcow2.retire.json" ] || fail "a receipt was written"
	up_to_the_question r3 "$WORK/keep/r3.qcow2"
	expect_rc 2
	expect_eq "$(receipt "$WORK/keep/r3.qcow2" 'd["steps"]["download"]["outcome"]')" done
	# the rerun asks nothing it has done already
	ctl reset-requests >/dev/null
	run snap retire r3 --download "$WORK/keep/r3.qcow2" --stop --yes
	expect_rc 0
	expect_err 'FILE holds image [0-9a-f-]{36}, verified against Glance and its sidecars'
	expect_eq "$(count_requests POST '/action$')" 0
	expect_eq "$(count_requests GET '/file$')" 0
	expect_eq "$(server_exists r3)" False
}

t_retire_confirmation_by_typing_the_name() {
	new_server r4
	run /usr/bin/python3 "$TOP/tests/integration/pty_run.py" wrong --prompt 'to delete it: ' \
		"$LIFEBOAT_BIN/lifeboat-snap" retire r4 --download "$WORK/keep/r4.qcow2" --stop
	expect_rc 2
	expect_out "'wrong' is not 'r4': nothing deleted"
	expect_eq "$(server_exists r4)" True
	run /usr/bin/python3 "$TOP/tests/integration/pty_run.py" r4 --prompt 'to delete it: ' \
		"$LIFEBOAT_BIN/lifeboat-snap" retire r4 --download "$WORK/keep/r4.qcow2" --stop
	expect_rc 0
	expect_eq "$(server_exists r4)" False
}

# FILE rewritten in place while the question waits, its mtime set back:
# only ctime tells, and the delete must not trust the hash made before
t_retire_rehashes_a_file_rewritten_at_the_prompt() {
	new_server r4b
	local f=$WORK/keep/r4b.qcow2
	run /usr/bin/python3 "$TOP/tests/integration/pty_run.py" r4b --prompt 'to delete it: ' \
		--before "/usr/bin/python3 -c '
import os, sys
st = os.stat(sys.argv[1])
with open(sys.argv[1], \"r+b\") as h:
    h.seek(1000); b = h.read(4096); h.seek(1000); h.write(bytes(x ^ 0xff for x in b))
os.utime(sys.argv[1], ns=(st.st_atime_ns, st.st_mtime_ns))' $f" \
		"$LIFEBOAT_BIN/lifeboat-snap" retire r4b --download "$f" --stop
	expect_rc 0
	expect_out 'its bytes are not the image'
	# deleted, then, only with FILE as the image's bytes again
	expect_eq "$(server_exists r4b)" False
	expect_eq "$(sha512sum <"$f" | cut -c1-128)" "$(cut -c1-128 "$f.sha512")"
}

expect_stopped_at() { # FILE STEP
	expect_err "retire stopped at step '$2'; server '.*' \\([0-9a-f-]{36}\\) is not deleted"
	expect_eq "$(receipt "$1" "d[\"steps\"][\"$2\"][\"outcome\"]")" failed
}

t_retire_save_refused() {
	new_server r5
	faults '[{"path": "/action$", "method": "POST", "status": 500, "times": 1}]'
	run snap retire r5 --download "$WORK/keep/r5.qcow2" --stop --yes
	expect_rc 9
	expect_stopped_at "$WORK/keep/r5.qcow2" snapshot
	expect_eq "$(server_exists r5)" True
	run snap retire r5 --download "$WORK/keep/r5.qcow2" --stop --yes
	expect_rc 0
	expect_eq "$(server_exists r5)" False
}

t_retire_image_killed_then_a_new_snapshot() {
	new_server r6
	ctl config '{"next_save": ["killed"]}' >/dev/null
	run snap retire r6 --download "$WORK/keep/r6.qcow2" --stop --yes
	expect_rc 9
	expect_stopped_at "$WORK/keep/r6.qcow2" snapshot
	local killed
	killed=$(receipt "$WORK/keep/r6.qcow2" 'd["image_id"]')
	run snap retire r6 --download "$WORK/keep/r6.qcow2" --stop --yes
	expect_rc 0
	[ "$(receipt "$WORK/keep/r6.qcow2" 'd["image_id"]')" != "$killed" ] || fail "reused the killed image"
}

t_retire_timeout_then_the_same_image() {
	new_server r7
	ctl config '{"save_delay": 4}' >/dev/null
	run snap retire r7 --download "$WORK/keep/r7.qcow2" --stop --yes --timeout 1s
	expect_rc 10
	expect_stopped_at "$WORK/keep/r7.qcow2" snapshot
	local first
	first=$(receipt "$WORK/keep/r7.qcow2" 'd["image_id"]')
	ctl reset-requests >/dev/null
	run snap retire r7 --download "$WORK/keep/r7.qcow2" --stop --yes
	expect_rc 0
	expect_eq "$(receipt "$WORK/keep/r7.qcow2" 'd["image_id"]')" "$first"
	expect_eq "$(count_requests POST '/action$')" 0
}

t_retire_hash_mismatch_keeps_the_server() {
	new_server r8
	faults '[{"path": "/file$", "action": "corrupt", "offset": 1234, "times": 1}]'
	run snap retire r8 --download "$WORK/keep/r8.qcow2" --stop --yes
	expect_rc 11
	expect_stopped_at "$WORK/keep/r8.qcow2" download
	expect_eq "$(server_exists r8)" True
	[ ! -e "$WORK/keep/r8.qcow2" ] || fail "a bad file has the final name"
	ctl reset-requests >/dev/null
	run snap retire r8 --download "$WORK/keep/r8.qcow2" --stop --yes
	expect_rc 0
	expect_eq "$(count_requests POST '/action$')" 0
	expect_eq "$(server_exists r8)" False
}

t_retire_delete_refused() {
	new_server r9
	faults '[{"path": "/servers/[^/]+$", "method": "DELETE", "status": 409, "message": "locked", "times": 1}]'
	run snap retire r9 --download "$WORK/keep/r9.qcow2" --stop --yes
	expect_rc 9
	expect_err 'cannot delete server .*HTTP 409: locked'
	expect_eq "$(receipt "$WORK/keep/r9.qcow2" 'd["steps"]["delete"]["outcome"]')" failed
	expect_eq "$(server_exists r9)" True
	run snap retire r9 --download "$WORK/keep/r9.qcow2" --stop --yes
	expect_rc 0
	expect_eq "$(server_exists r9)" False
}

t_retire_refuses_data_volumes() {
	new_server r10 '"data_volumes": [200]'
	run snap retire r10 --download "$WORK/keep/r10.qcow2" --stop --yes
	expect_rc 14
	expect_err '1 data volume\(s\) attached that the image will not contain: [0-9a-f-]+ \(200 GB\)'
	expect_eq "$(mutations)" 0
	run snap retire r10 --download "$WORK/keep/r10.qcow2" --stop --yes --volumes-ok
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

# ---- issue 11: nothing is deleted unless a verified copy of *that* server exists

server_id_of() {
	ctl_get state | /usr/bin/python3 -c 'import json,sys; print([s["id"] for s in json.load(sys.stdin)["servers"] if s["name"]==sys.argv[1]][0])' "$1"
}

# The cloud checks, at the moment of each DELETE, that FILE holds the
# server's own active post-stop image; every guarded delete must pass.
guard_delete() { ctl guard "{\"server_id\": \"$1\", \"path\": \"$2\"}" >/dev/null; }
deletes_ok() {
	ctl_get deletes | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)["deletes"]
bad = [x for x in d if not x["ok"]]
print("none" if not d else "ok" if not bad else "; ".join("%s: %s" % (x["name"], x["why"]) for x in bad))'
}

t_retire_refuses_another_server_with_the_same_file() {
	new_server w1
	new_server w2
	local f=$WORK/keep/w.qcow2 id1 id2
	id1=$(server_id_of w1) id2=$(server_id_of w2)
	up_to_the_question w1 "$f"
	expect_rc 2
	run snap retire w2 --download "$f" --stop --yes
	expect_rc 14
	expect_err "the receipt belongs to server 'w1' \($id1\), but 'w2' now names server 'w2' \($id2\)"
	expect_eq "$(server_exists w1)" True
	expect_eq "$(server_exists w2)" True
	expect_eq "$(count_requests DELETE '/servers/')" 0
}

t_retire_refuses_when_the_name_now_names_another_server() {
	new_server n1
	local f=$WORK/keep/n1.qcow2 old new
	old=$(server_id_of n1)
	up_to_the_question n1 "$f"
	expect_rc 2
	ctl server-update "{\"id\": \"$old\", \"name\": \"n1-old\"}" >/dev/null
	new_server n1
	new=$(server_id_of n1)
	run snap retire n1 --download "$f" --stop --yes
	expect_rc 14
	expect_err "belongs to server 'n1' \($old\), but 'n1' now names server 'n1' \($new\)"
	expect_eq "$(count_requests DELETE '/servers/')" 0
	# renamed, and named by nothing: refused too, with both names
	ctl server-update "{\"id\": \"$new\", \"name\": \"n1-new\"}" >/dev/null
	run snap retire n1 --download "$f" --stop --yes
	expect_rc 14
	expect_err "'n1' names no server now; the receipt's server 'n1' \($old\) is now named 'n1-old'"
	# by its id, the receipt's own server goes, and only it
	guard_delete "$old" "$f"
	run snap retire "$old" --download "$f" --stop --yes
	expect_rc 0
	expect_eq "$(server_exists n1-old)" False
	expect_eq "$(server_exists n1-new)" True
	expect_eq "$(deletes_ok)" ok
}

t_retire_rerun_verifies_the_local_copy_again() {
	local what f id
	for what in removed corrupted; do
		new_server "c-$what"
		f=$WORK/keep/c-$what.qcow2
		id=$(server_id_of "c-$what")
		guard_delete "$id" "$f"
		up_to_the_question "c-$what" "$f"
		expect_rc 2
		expect_eq "$(receipt "$f" 'd["steps"]["download"]["outcome"]')" done
		if [ $what = removed ]; then rm -f "$f" "$f.sha512" "$f.json"; else flip_byte "$f" 4321; fi
		run snap retire "c-$what" --download "$f" --stop --yes
		expect_rc 0
		expect_eq "$(server_exists "c-$what")" False
		expect_eq "$(sha512sum <"$f" | cut -d' ' -f1)" "$(sha512sum <"$WORK/disk.img" | cut -d' ' -f1)"
	done
	expect_eq "$(deletes_ok)" ok
}

t_retire_takes_a_new_image_when_the_server_ran_again() {
	new_server s1
	local f=$WORK/keep/s1.qcow2 id first
	id=$(server_id_of s1)
	guard_delete "$id" "$f"
	up_to_the_question s1 "$f"
	expect_rc 2
	first=$(receipt "$f" 'd["image_id"]')
	ctl server-action "{\"id\": \"$id\", \"action\": \"start\"}" >/dev/null
	run snap retire s1 --download "$f" --stop --yes
	expect_rc 0
	expect_err "image $first is stale"
	[ "$(receipt "$f" 'd["image_id"]')" != "$first" ] || fail "the stale image was kept"
	expect_eq "$(deletes_ok)" ok
}

# A cloud that hides the server's actions leaves only its power state, and
# a start and a stop between two runs put that back as it was: the image
# of the earlier run cannot be proven fresh, so a new one is taken.
t_retire_with_actions_hidden_keeps_only_its_own_image() {
	new_server s2
	local f=$WORK/keep/s2.qcow2 id first
	id=$(server_id_of s2)
	guard_delete "$id" "$f"
	faults '[{"path": "/os-instance-actions$", "status": 403, "times": 100}]'
	up_to_the_question s2 "$f"
	expect_rc 2
	first=$(receipt "$f" 'd["image_id"]')
	ctl server-action "{\"id\": \"$id\", \"action\": \"start\"}" >/dev/null
	ctl server-action "{\"id\": \"$id\", \"action\": \"stop\"}" >/dev/null
	run snap retire s2 --download "$f" --stop --yes
	expect_rc 0
	expect_err "image $first may be stale: the cloud does not show the server's actions"
	[ "$(receipt "$f" 'd["image_id"]')" != "$first" ] || fail "the earlier run's image was kept"
	expect_eq "$(deletes_ok)" ok
	no_faults
}

t_retire_needs_stop_or_live() {
	new_server l1
	run snap retire l1 --download "$WORK/keep/l1.qcow2" --yes
	expect_rc 2
	expect_err "is ACTIVE: retire deletes only after --stop .* or an explicit --live"
	expect_eq "$(mutations)" 0
	expect_eq "$(server_exists l1)" True
	run snap retire l1 --download "$WORK/keep/l1.qcow2" --yes --live
	expect_rc 0
	expect_err 'crash-consistent'
	expect_eq "$(receipt "$WORK/keep/l1.qcow2" 'd["image"]["consistency"]')" crash-consistent
	expect_eq "$(count_requests POST '/action$')" 1
	expect_eq "$(server_exists l1)" False
}

t_retire_receipt_without_ids_is_refused_not_crashed() {
	new_server x1
	local f=$WORK/keep/x1.qcow2
	printf '{"steps": {}, "server": {"name": "x1"}, "volumes": [{"bootable": true}]}' >"$f.retire.json"
	run snap retire x1 --download "$f" --stop --yes
	expect_rc 14
	expect_err 'the receipt names no server id'
	expect_eq "$(server_exists x1)" True
}

t_retire_deletes_the_boot_volume_it_saved_not_a_bootable_data_volume() {
	new_server b1 '"volume_backed": true, "size_gb": 10, "data_volumes": [{"size": 20, "bootable": true, "first": true}]'
	local f=$WORK/keep/b1.qcow2 boot data
	run snap retire b1 --download "$f" --stop --yes --volumes-ok --delete-boot-volume
	expect_rc 0
	boot=$(receipt "$f" '[v["id"] for v in d["volumes"] if v["device"] == "/dev/vda"][0]')
	data=$(receipt "$f" '[v["id"] for v in d["volumes"] if v["device"] == "/dev/vdb"][0]')
	expect_eq "$(receipt "$f" 'd["boot_volume"]')" "$boot"
	[ "$(ctl_get state | grep -c "$data")" = 1 ] || fail "the data volume was deleted"
	[ "$(ctl_get state | grep -c "$boot")" = 0 ] || fail "the boot volume was kept"
}

t_guard_judges_by_server_id_and_glance_time() {
	# a retired "chat" left images; a new "chat" must not pass on them
	ctl images '{"status": "active", "os_hash_algo": "sha512", "os_hash_value": "00",
	  "properties": {"lifeboat.server_id": "gone-chat", "lifeboat.server_name": "chat"}}' >/dev/null
	new_server chat
	run snap guard chat --max-age 2h
	expect_rc 14
	expect_err "no lifeboat image of 'chat' \([0-9a-f-]{36}\) exists"
	# an old image whose editable lifeboat.created_at says "just now"
	local id now
	id=$(server_id_of chat)
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	ctl images "{\"id\": \"dddddddd-0000-4000-8000-000000000001\", \"status\": \"active\",
	  \"created_at\": \"2026-01-01T00:00:00Z\", \"os_hash_algo\": \"sha512\", \"os_hash_value\": \"00\",
	  \"properties\": {\"lifeboat.server_id\": \"$id\", \"lifeboat.created_at\": \"$now\"}}" >/dev/null
	run snap guard chat --max-age 2h
	expect_rc 14
	expect_err "\(dddddddd-0000-4000-8000-000000000001\), is [0-9]+d[0-9]+h old, older than --max-age"
}

t_retire_waits_for_the_delete_in_real_seconds() {
	# one deadline, counted by the clock: a delete that takes 1.5 s fits in
	# --timeout 4s (it did not, when each 250 ms pause counted as a second)
	new_server d2 '"status": "SHUTOFF"'
	ctl config '{"transition_s": 1.5}' >/dev/null
	run snap retire d2 --download "$WORK/keep/d2.qcow2" --yes --timeout 4s
	expect_rc 0
	expect_eq "$(server_exists d2)" False
}

# FILE.lock: a second retire onto the same FILE while the first downloads
# is refused, naming the first; the first goes on to its delete.
t_two_retires_onto_one_file_the_second_refuses() {
	new_server pair
	local f=$WORK/keep/pair.qcow2 i
	faults '[{"path": "/file$", "action": "slow", "bps": 200000, "times": 1}]'
	"$LIFEBOAT_BIN/lifeboat-snap" retire pair --download "$f" --stop --yes >"$WORK/r1.out" 2>"$WORK/r1.err" &
	local pid=$!
	for i in $(seq 200); do [ -e "$f.part" ] && break; sleep 0.05; done
	run snap retire pair --download "$f" --stop --yes
	expect_rc 13
	expect_err "already running as pid $pid"
	set +e; wait $pid; local first=$?; set -e
	RC=$first expect_rc 0
	expect_eq "$(server_exists pair)" False
	expect_eq "$(deletes_ok)" ok
	[ ! -e "$f.lock" ] || fail "the lock is left behind"
	no_faults
}

# ---- a server already stopped needs neither --stop nor --live ---------------

t_retire_of_a_stopped_server_needs_neither_stop_nor_live() {
	run snap help retire
	expect_out '^usage: lifeboat-snap retire \[options\] SERVER --download FILE \[--stop \| --live\]$'
	new_server off1 '"status": "SHUTOFF"'
	local f=$WORK/keep/off1.qcow2
	guard_delete "$(server_id_of off1)" "$f"
	run snap retire off1 --download "$f" --yes --dry-run
	expect_rc 0
	expect_out 'of the stopped server'
	run snap retire off1 --download "$f" --yes
	expect_rc 0
	expect_eq "$(receipt "$f" 'd["image"]["consistency"]')" stopped
	expect_eq "$(receipt "$f" '[(i["consistency"], i["checked"]) for i in d["images"]]')" "[('stopped', True)]"
	expect_eq "$(count_requests POST '/action$')" 1
	expect_eq "$(server_exists off1)" False
	expect_eq "$(deletes_ok)" ok
}

images_of() { # images_of SERVER_ID: [(id, lifeboat.consistency)] in Glance
	ctl_get state | /usr/bin/python3 -c '
import json, sys
print(sorted((i["id"], i.get("lifeboat.consistency")) for i in json.load(sys.stdin)["images"]
             if i.get("lifeboat.server_id") == sys.argv[1]))' "$1"
}

# start_in_the_window ID: the createImage of the retire running in the
# background is held at the cloud; the server is started, then the save
# goes on: taken of a running server that the look before found stopped
start_in_the_window() {
	ctl wait-hang '{"timeout": 10}' >/dev/null
	ctl server-action "{\"id\": \"$1\", \"action\": \"start\"}" >/dev/null
	ctl release >/dev/null
	local i
	for i in $(seq 100); do [ "$(images_of "$1")" != "[]" ] && break; sleep 0.05; done
}

# Found SHUTOFF, started before the cloud accepted the save: that image is
# crash-consistent (Glance and the receipt say so) and, without --live,
# never the stopped server's; once stopped again a new one is taken, and
# the cloud's check of the delete finds a true post-stop image
t_retire_a_start_before_the_save_never_passes_for_stopped() {
	new_server race1 '"status": "SHUTOFF"'
	local f=$WORK/keep/race1.qcow2 id first
	id=$(server_id_of race1)
	guard_delete "$id" "$f"
	ctl config '{"save_delay": 1}' >/dev/null
	faults "[{\"path\": \"/servers/$id/action\$\", \"method\": \"POST\", \"action\": \"hold\", \"times\": 1}]"
	"$LIFEBOAT_BIN/lifeboat-snap" retire race1 --download "$f" --yes >"$WORK/out" 2>"$WORK/err" &
	local pid=$!
	start_in_the_window "$id"
	ctl server-action "{\"id\": \"$id\", \"action\": \"stop\"}" >/dev/null
	set +e; wait $pid; RC=$?; set -e
	OUT=$(cat "$WORK/out") ERR=$(cat "$WORK/err")
	expect_rc 0
	expect_err "server 'race1' \\($id\\) is not proven stopped up to the save: it was started between the look that found it stopped and the save; image [0-9a-f-]{36} counts as crash-consistent"
	expect_err 'is not of a stopped server \(crash-consistent\): a new one is taken'
	first=$(receipt "$f" 'd["images"][0]["id"]')
	expect_eq "$(receipt "$f" '[i["consistency"] for i in d["images"]]')" "['crash-consistent', 'stopped']"
	grep -q "('$first', 'crash-consistent')" <<<"$(images_of "$id")" || fail "Glance still labels $first stopped"
	[ "$(receipt "$f" 'd["image_id"]')" != "$first" ] || fail "the running server's image was kept"
	expect_eq "$(server_exists race1)" False
	expect_eq "$(deletes_ok)" ok
}

# The same with --live, where the cloud hides its actions: the server is
# seen running just after the save, so the image is crash-consistent, and
# with --live that will do
t_retire_live_a_start_before_the_save_with_actions_hidden() {
	new_server race2 '"status": "SHUTOFF"'
	local f=$WORK/keep/race2.qcow2 id
	id=$(server_id_of race2)
	ctl config '{"save_delay": 1}' >/dev/null
	faults "[{\"path\": \"/servers/$id/action\$\", \"method\": \"POST\", \"action\": \"hold\", \"times\": 1},
	         {\"path\": \"/os-instance-actions\$\", \"status\": 403, \"times\": 100}]"
	"$LIFEBOAT_BIN/lifeboat-snap" retire race2 --download "$f" --yes --live >"$WORK/out" 2>"$WORK/err" &
	local pid=$!
	start_in_the_window "$id"
	set +e; wait $pid; RC=$?; set -e
	OUT=$(cat "$WORK/out") ERR=$(cat "$WORK/err")
	expect_rc 0
	expect_err "it was started between the look that found it stopped and the save \(it is ACTIVE just after\)"
	expect_eq "$(receipt "$f" 'd["image"]["consistency"]')" crash-consistent
	expect_eq "$(receipt "$f" 'len(d["images"])')" 1
	expect_eq "$(images_of "$id" | grep -c crash-consistent)" 1
	expect_eq "$(server_exists race2)" False
	# found SHUTOFF when recorded, yet its image is of the running server:
	# the report says the latter
	run snap report "$f.retire.json" --json
	expect_rc 0
	expect_eq "$(json_get 'd["stopped"]["how"]')" "not stopped: a live, crash-consistent image"
}

# Running when the save was accepted though no start shows among its
# actions (a start begun just before the first look, or an action list
# that misses it): the state just after the save is looked at too
t_retire_live_running_after_the_save_without_a_start_action() {
	new_server race3 '"status": "SHUTOFF"'
	local f=$WORK/keep/race3.qcow2 id
	id=$(server_id_of race3)
	faults "[{\"path\": \"/servers/$id/action\$\", \"method\": \"POST\", \"action\": \"hold\", \"times\": 1}]"
	"$LIFEBOAT_BIN/lifeboat-snap" retire race3 --download "$f" --yes --live >"$WORK/out" 2>"$WORK/err" &
	local pid=$!
	ctl wait-hang '{"timeout": 10}' >/dev/null
	ctl server-status "{\"id\": \"$id\", \"status\": \"ACTIVE\"}" >/dev/null
	ctl release >/dev/null
	set +e; wait $pid; RC=$?; set -e
	OUT=$(cat "$WORK/out") ERR=$(cat "$WORK/err")
	expect_rc 0
	expect_err "the save \\(it is ACTIVE just after\\); image [0-9a-f-]{36} counts as crash-consistent"
	expect_eq "$(receipt "$f" 'd["image"]["consistency"]')" crash-consistent
	expect_eq "$(images_of "$id" | grep -c crash-consistent)" 1
}
