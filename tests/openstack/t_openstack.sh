# t_openstack.sh - lifeboat against real Keystone, Glance and Nova (fake virt
# driver whose snapshots upload real disks) from Debian's packages, started
# once for every case below. Run by `make check-openstack`.

osctl() { /usr/bin/python3 "$TOP/tests/openstack/osctl.py" "$@"; }
admin() { osctl --admin admin-secret "$@"; }
stack_stop() { "$TOP/tests/openstack/stop.sh" "$OSDIR" >/dev/null 2>&1 || true; }
# how often sqlite made a service retry (lifeboat_sqlite.py) or fail: a
# number that grows run after run is the next flaky case in the making
stack_report() {
	local logs=("$OSDIR"/log/*.log)
	echo "# sqlite lock conflicts in the services: $(cat "${logs[@]}" | grep -c 'sqlite lock conflict') retried," \
		"$(cat "${logs[@]}" | grep -c -E ' ERROR [^ ]+ \[.*database is locked') not"
}

setup_file() {
	export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
	OSDIR=$WORK/openstack
	trap 'stack_report; stack_stop; cloud_stop' EXIT
	if ! "$TOP/tests/openstack/start.sh" "$OSDIR" >"$WORK/stack.out" 2>&1; then
		cat "$WORK/stack.out"
		tail -n 20 "$OSDIR"/log/*.log
		return 1
	fi
	# shellcheck disable=SC1091
	. "$OSDIR/env"
	export OS_PASSWORD=demo-secret
	admin flavor || return 1
	head -c 1M /dev/zero >"$WORK/base.raw"
	admin base-image "$WORK/base.raw" >/dev/null || return 1
	# the chat server's disk: a GPT OS disk whose /var holds the icons
	from_cache gpt-os-qcow2 "$WORK/chat-disk.qcow2" "$TOP/tests/images/gpt-os.sh" @OUT@ || return 1
	CHAT=$(osctl boot chat-01 "$WORK/chat-disk.qcow2") || return 1
	mkdir -p "$WORK/keep"
}

# A failed case shows the services' last errors: a lost race inside Nova
# or Glance reads as a wrong exit code from lifeboat otherwise.
on_failure() {
	local log
	for log in "$OSDIR"/log/*.log; do
		grep -h -E ' ERROR [^ ]+ \[' "$log" | tail -3 | cut -c1-400 |
			sed "s|^|    $(basename "$log"): |"
	done
}

server_gone() { ! osctl server-status "$1" >/dev/null 2>&1; }

# ---- identity ---------------------------------------------------------------

t_auth_password() {
	run snap auth --json
	expect_rc 0
	expect_eq "$(json_get 'd["project"]["name"]')" demo
	expect_eq "$(json_get 'd["identity_api_version"]')" 3
	local base=${LIFEBOAT_OS_PORT_BASE:-35300}
	expect_eq "$(json_get 'd["endpoints"]["compute"]')" "http://127.0.0.1:$((base + 3))/v2.1"
	expect_eq "$(json_get 'd["endpoints"]["image"]')" "http://127.0.0.1:$((base + 1))"
	# plain HTTP, named on every run
	expect_err "the identity endpoint http://127.0.0.1:$base/v3 is plain HTTP: anyone on the path can read your password and token"
	run snap auth --allow-http
	expect_not 'plain HTTP'
}

t_auth_application_credential() {
	local cred id secret
	cred=$(osctl app-credential lifeboat-ci)
	id=${cred% *} secret=${cred#* }
	run env -u OS_USERNAME -u OS_PASSWORD -u OS_PROJECT_NAME -u OS_USER_DOMAIN_NAME \
		-u OS_PROJECT_DOMAIN_NAME OS_AUTH_TYPE=v3applicationcredential \
		OS_APPLICATION_CREDENTIAL_ID="$id" OS_APPLICATION_CREDENTIAL_SECRET="$secret" \
		"$LIFEBOAT_BIN/lifeboat-snap" servers --json
	expect_rc 0
	expect_eq "$(json_get '[s["name"] for s in d["servers"] if s["id"] == "'"$CHAT"'"]')" "['chat-01']"
	expect_not "$secret"
}

t_auth_wrong_password() {
	OS_PASSWORD=wrong run snap auth
	expect_rc 4
}

# ---- servers and snapshots -----------------------------------------------------

t_servers() {
	run snap servers --json
	expect_rc 0
	expect_eq "$(json_get '[(s["name"], s["status"]) for s in d["servers"] if s["id"] == "'"$CHAT"'"]')" \
		"[('chat-01', 'ACTIVE')]"
}

# The whole rescue: snapshot the server, download, verify, extract its data.
t_rescue_story() {
	run snap create chat-01 --stop --start-after --reason "kernel bug" --download "$WORK/keep/chat.qcow2"
	expect_rc 0
	cmp "$WORK/chat-disk.qcow2" "$WORK/keep/chat.qcow2" || fail "downloaded image differs from the disk"
	expect_eq "$(osctl server-status "$CHAT")" ACTIVE
	# --stop stopped the image-backed server on stock Nova, before the save
	osctl server-actions "$CHAT" | grep -q 'stop createImage start$' || fail "no os-stop before the save"
	OUT=$(cat "$WORK/keep/chat.qcow2.json")
	OUT=$(snap show "$(json_get 'd["image"]["id"]')" --json)
	expect_eq "$(json_get 'd["glance"]["lifeboat.consistency"], d["image"]["consistency"]')" "stopped stopped"
	run snap verify "$WORK/keep/chat.qcow2"
	expect_rc 0
	# one appliance at a time on this machine
	run flock /tmp/lifeboat-appliance.lock "$LIFEBOAT_BIN/lifeboat-extract" copy "$WORK/keep/chat.qcow2" /var/lib/chat /etc/hostname \
		"$WORK/rescued" --manifest "$WORK/rescued.manifest" --no-progress
	expect_rc 0
	diff -r "$WORK/chat-disk.qcow2.var/lib/chat" "$WORK/rescued/chat" || fail "rescued data differs"
	expect_eq "$(cat "$WORK/rescued/hostname")" chat-01
	run "$LIFEBOAT_BIN/lifeboat-extract" verify "$WORK/rescued" "$WORK/rescued.manifest"
	expect_rc 0
}

t_create_below_and_above_microversion_245() {
	local v id
	for v in 2.1 2.45; do
		run snap create chat-01 --name "mv-$v" --os-compute-api-version "$v" --json
		expect_rc 0
		expect_eq "$(json_get 'd["image"]["status"]')" active
		expect_eq "$(json_get 'd["image"]["name"]')" "mv-$v"
		id=$(json_get 'd["image"]["id"]')
		run snap show "$id" --json
		expect_eq "$(json_get 'd["glance"]["lifeboat.server_id"], d["image"]["server_id"]')" "$CHAT $CHAT"
	done
}

t_snapshot_that_fails() {
	local id
	id=$(osctl boot broken "$WORK/chat-disk.qcow2" lifeboat-snapshot-fail=1)
	run snap create broken
	# Nova deletes the image of a snapshot that failed
	expect_rc 9
	# gone (404), or seen a moment before as 'deleted': either way, at once
	expect_err "image [0-9a-f-]{36} (disappeared while being saved \(request id req-|ended 'deleted': the save failed \(request id req-)"
	expect_eq "$(osctl server-status "$id")" ACTIVE
}

t_slow_snapshot_wait_and_timeout() {
	osctl boot slow "$WORK/chat-disk.qcow2" lifeboat-snapshot-delay=6 >/dev/null
	run snap create slow --no-wait
	expect_rc 0
	local id=$OUT
	run snap wait "$id" --timeout 1s
	expect_rc 10
	run snap wait "$id" --timeout 2m
	expect_rc 0
	run snap show "$id" --json
	expect_eq "$(json_get 'd["image"]["status"]')" active
}

t_list_and_prune() {
	osctl boot pruned "$WORK/chat-disk.qcow2" >/dev/null
	local i
	for i in 1 2 3; do
		snap create pruned --name "pruned-$i" >/dev/null 2>&1 || fail "create $i"
	done
	run snap list pruned --json
	expect_rc 0
	expect_eq "$(json_get '[i["name"] for i in d["images"]]')" "['pruned-3', 'pruned-2', 'pruned-1']"
	run snap prune pruned --keep 1
	expect_rc 0
	run snap list pruned --json
	expect_eq "$(json_get '[i["name"] for i in d["images"]]')" "['pruned-3']"
}

# ---- download -------------------------------------------------------------------

t_download_killed_then_resumed_with_range() {
	head -c 384M /dev/urandom >"$WORK/big.raw"
	osctl boot big "$WORK/big.raw" >/dev/null
	run snap create big
	expect_rc 0
	local id=$OUT f=$WORK/keep/big.raw
	"$LIFEBOAT_BIN/lifeboat-snap" download "$id" "$f" --progress none 2>"$WORK/dl.err" &
	local pid=$! i
	for i in $(seq 2000); do
		[ "$(stat -c %s "$f.part" 2>/dev/null || echo 0)" -ge $((32 << 20)) ] && break
		sleep 0.005
	done
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	[ -f "$f.part" ] && [ ! -f "$f" ] || fail "the kill came too late to test a resume"
	local had
	had=$(stat -c %s "$f.part")
	run snap download "$id" "$f"
	expect_rc 0
	expect_err "resuming '$f.part' at byte $had"
	cmp "$WORK/big.raw" "$f" || fail "resumed download differs"
	run snap verify "$f" "$id"
	expect_rc 0
	flip_byte "$f" 1000
	run snap verify "$f" "$id"
	expect_rc 11
	rm -f "$f" "$WORK/big.raw"
}

# ---- retire ----------------------------------------------------------------------

t_retire_end_to_end() {
	local id
	id=$(osctl boot old-box "$WORK/chat-disk.qcow2")
	run snap retire old-box --download "$WORK/keep/old-box.qcow2" --stop --yes
	expect_rc 0
	expect_eq "$OUT" "$WORK/keep/old-box.qcow2.retire.json"
	server_gone "$id" || fail "server still there"
	cmp "$WORK/chat-disk.qcow2" "$WORK/keep/old-box.qcow2" || fail "kept image differs"
}

# ---- a short token lifetime ----------------------------------------------------

t_token_lifetime_shorter_than_the_wait() {
	/usr/bin/python3 "$TOP/tests/openstack/stack.py" token-lifetime "$OSDIR" 40 ||
		fail "cannot restart Keystone"
	osctl boot short-token "$WORK/chat-disk.qcow2" lifeboat-snapshot-delay=4 >/dev/null
	run snap create short-token --debug
	/usr/bin/python3 "$TOP/tests/openstack/stack.py" token-lifetime "$OSDIR" 3600
	expect_rc 0
	# a 40 s token is inside the renewal margin: renewed before each use
	expect_err 'token expires within 5 minutes: renewing'
	expect_not 'X-Subject-Token: gAAAA'
}

# ---- retire's promise, against real Nova and Glance ----------------------------

t_retire_refuses_a_running_server_without_stop_or_live() {
	local id
	id=$(osctl boot live-box "$WORK/chat-disk.qcow2")
	run snap retire live-box --download "$WORK/keep/live-box.qcow2" --yes
	expect_rc 2
	expect_err 'retire deletes only after --stop .* or an explicit --live'
	expect_eq "$(osctl server-status "$id")" ACTIVE
}

up_to_the_question() { # SERVER FILE
	run /usr/bin/python3 "$TOP/tests/integration/pty_run.py" wrong --prompt 'to delete it: ' \
		"$LIFEBOAT_BIN/lifeboat-snap" retire "$1" --download "$2" --stop
}

t_retire_rerun_downloads_again_and_refuses_another_server() {
	local a b f=$WORK/keep/pair.qcow2
	a=$(osctl boot pair-a "$WORK/chat-disk.qcow2")
	b=$(osctl boot pair-b "$WORK/chat-disk.qcow2")
	# up to the question, answered wrong: a receipt and a copy, no delete
	up_to_the_question pair-a "$f"
	expect_rc 2
	run snap retire pair-b --download "$f" --stop --yes
	expect_rc 14
	expect_err "the receipt belongs to server 'pair-a' \($a\), but 'pair-b' now names server 'pair-b' \($b\)"
	expect_eq "$(osctl server-status "$b")" ACTIVE
	rm -f "$f" "$f.sha512" "$f.json"
	run snap retire pair-a --download "$f" --stop --yes
	expect_rc 0
	server_gone "$a" || fail "server still there"
	cmp "$WORK/chat-disk.qcow2" "$f" || fail "kept image differs"
}

t_retire_takes_a_new_image_after_the_server_ran_again() {
	local id first f=$WORK/keep/again.qcow2
	id=$(osctl boot again "$WORK/chat-disk.qcow2")
	# up to the question, answered wrong: a receipt and a copy, no delete
	up_to_the_question again "$f"
	expect_rc 2
	OUT=$(cat "$f.retire.json")
	first=$(json_get 'd["image_id"]')
	sleep 1 # Nova's action times and Glance's created_at are in seconds
	osctl server-start "$id"
	run snap retire again --download "$f" --stop --yes
	expect_rc 0
	expect_err "image $first is stale"
	OUT=$(cat "$f.retire.json")
	[ "$(json_get 'd["image_id"]')" != "$first" ] || fail "the stale image was kept"
	server_gone "$id" || fail "server still there"
}

t_guard_matches_the_server_by_id() {
	local id
	id=$(osctl boot guarded "$WORK/chat-disk.qcow2")
	run snap guard guarded --max-age 2h --json
	expect_rc 14
	snap create guarded --stop --start-after >/dev/null 2>&1 || fail "create"
	run snap guard guarded --max-age 2h --json
	expect_rc 0
	expect_eq "$(json_get 'd["server"]["id"]')" "$id"
	expect_eq "$(json_get 'd["image"]["consistency"]')" stopped
}
