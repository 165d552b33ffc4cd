# t_create.sh - snapshots: image- and volume-backed, stop/start, ConoHa's
# rules, waiting with its failures, then list and prune

setup_file() {
	cloud_start --tls
	head -c 300000 /dev/urandom >"$WORK/disk.img"
	add_server "{\"id\": \"aaaaaaaa-0000-4000-8000-000000000001\", \"name\": \"web\", \"disk\": \"$WORK/disk.img\"}"
	add_server "{\"id\": \"aaaaaaaa-0000-4000-8000-000000000002\", \"name\": \"vm-3a\", \"metadata\": {\"instance_name_tag\": \"chat\"}, \"volume_backed\": true, \"disk\": \"$WORK/disk.img\", \"size_gb\": 30}"
	add_server '{"id": "aaaaaaaa-0000-4000-8000-000000000003", "name": "twin"}'
	add_server '{"id": "aaaaaaaa-0000-4000-8000-000000000004", "name": "twin"}'
	add_server '{"id": "aaaaaaaa-0000-4000-8000-000000000005", "name": "off", "status": "SHUTOFF"}'
	add_server "{\"id\": \"aaaaaaaa-0000-4000-8000-000000000006\", \"name\": \"dead\", \"status\": \"ERROR\", \"disk\": \"$WORK/disk.img\"}"
	add_server '{"id": "aaaaaaaa-0000-4000-8000-000000000007", "name": "deadvol", "status": "ERROR", "volume_backed": true}'
}

# Each case starts from the same cloud settings, whatever the last one left.
setup_each() {
	ctl config '{"mode": "stock", "save_delay": 0.6, "transition_s": 0.2, "token_ttl": 3600,
	             "reported_ttl": null, "image_quota_gb": 500, "next_save": []}' >/dev/null
	no_faults
}

image_field() { # image_field ID EXPR
	OUT=$(snap show "$1" --json)
	json_get "$(printf '(lambda d: %s)(d["glance"])' "$2")"
}

server_status() {
	ctl_get state | /usr/bin/python3 -c 'import json,sys; print([s["status"] for s in json.load(sys.stdin)["servers"] if s["id"]==sys.argv[1]][0])' "$1"
}

t_image_backed_prints_only_the_id() {
	run snap create web --reason "before kernel upgrade" --property ticket=OPS-1
	expect_rc 0
	[[ $OUT =~ ^[0-9a-f-]{36}$ ]] || fail "stdout is not one image id"
	expect_err 'Nova createImage'
	local id=$OUT
	expect_eq "$(image_field "$id" 'd["status"]')" active
	expect_eq "$(image_field "$id" 'd["lifeboat.server_id"]')" aaaaaaaa-0000-4000-8000-000000000001
	expect_eq "$(image_field "$id" 'd["lifeboat.server_name"]')" web
	expect_eq "$(image_field "$id" 'd["lifeboat.reason"]')" "before kernel upgrade"
	expect_eq "$(image_field "$id" 'd["ticket"]')" OPS-1
	expect_eq "$(image_field "$id" 'd["name"].startswith("lifeboat-web-")')" True
	expect_eq "$(image_field "$id" 'd["size"]')" 300000
}

t_microversion_245_id_from_body() {
	ctl reset-requests >/dev/null
	run snap create web --os-compute-api-version 2.45 --name mv245 --json
	expect_rc 0
	expect_eq "$(json_get 'd["image"]["name"]')" mv245
	expect_eq "$(json_get 'd["image"]["status"]')" active
	local n
	n=$(ctl_get requests | /usr/bin/python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin)["requests"] if r["path"].endswith("/action") and r["microversion"]=="compute 2.45"))')
	expect_eq "$n" 1
}

t_stopped_server_needs_no_stop() {
	run snap create off --no-wait
	expect_rc 0
	[[ $OUT =~ ^[0-9a-f-]{36}$ ]] || fail "no image id"
	expect_not 'stopping'
}

t_volume_backed_needs_stop() {
	ctl reset-requests >/dev/null
	run snap create chat
	expect_rc 9
	expect_err "server 'chat' is ACTIVE and must be stopped.*--stop"
	expect_eq "$(count_requests POST '/action$')" 0
}

t_volume_backed_stop_start_after() {
	ctl reset-requests >/dev/null
	run snap create chat --stop --start-after
	expect_rc 0
	expect_err 'stopping server chat'
	expect_err 'Cinder os-volume_upload_image'
	expect_err 'starting server chat again'
	expect_eq "$(count_requests POST '/volumes/.*/action$')" 1
	expect_eq "$(count_requests PATCH '/v2/images/')" 1
	expect_eq "$(image_field "$OUT" 'd["lifeboat.server_name"]')" chat
	expect_eq "$(image_field "$OUT" 'd["status"]')" active
	expect_eq "$(server_status aaaaaaaa-0000-4000-8000-000000000002)" ACTIVE
}

t_server_in_error_image_backed_is_saved() {
	run snap create dead
	expect_rc 0
	expect_eq "$(image_field "$OUT" 'd["size"]')" 300000
}

t_server_in_error_volume_backed_explains() {
	run snap create deadvol --stop
	expect_rc 9
	expect_err "server 'deadvol' is in ERROR: it cannot be stopped"
}

t_ambiguous_name_lists_ids() {
	run snap create twin
	expect_rc 8
	expect_err "2 servers are named 'twin'"
	expect_err 'aaaaaaaa-0000-4000-8000-000000000003'
	expect_err 'aaaaaaaa-0000-4000-8000-000000000004'
	run snap create aaaaaaaa-0000-4000-8000-000000000003 --no-wait
	expect_rc 0
}

t_unknown_server() {
	run snap create nosuch
	expect_rc 7
	expect_err "no server named 'nosuch'"
}

t_killed_image_fails_at_once() {
	ctl config '{"next_save": ["killed"]}' >/dev/null
	run snap create web
	expect_rc 9
	expect_err "ended 'killed'"
	expect_err 'request id req-'
}

t_timeout_has_its_own_code() {
	ctl config '{"save_delay": 30}' >/dev/null
	run snap create web --timeout 2s
	ctl config '{"save_delay": 0.6}' >/dev/null
	expect_rc 10
	expect_err "still '(queued|saving)' after 2s"
	expect_err 'lifeboat-snap wait '
}

t_server_error_during_wait() {
	ctl config '{"save_delay": 30}' >/dev/null
	( sleep 1; ctl server-status '{"id": "aaaaaaaa-0000-4000-8000-000000000001", "status": "ERROR"}' >/dev/null ) &
	run snap create web --timeout 20s
	wait
	ctl server-status '{"id": "aaaaaaaa-0000-4000-8000-000000000001", "status": "ACTIVE"}' >/dev/null
	ctl config '{"save_delay": 0.6}' >/dev/null
	expect_rc 9
	expect_err 'went to ERROR'
}

t_429_and_503_while_polling() {
	faults '[{"path": "/image/v2/images/[^/]+$", "method": "GET", "status": 429, "retry_after": 0, "times": 2},
	         {"path": "/image/v2/images/[^/]+$", "method": "GET", "status": 503, "skip": 2, "times": 2}]'
	run snap create web
	no_faults
	expect_rc 0
	expect_eq "$(image_field "$OUT" 'd["status"]')" active
}

t_token_expiring_mid_wait() {
	ctl config '{"token_ttl": 1, "reported_ttl": 3600, "save_delay": 2.5}' >/dev/null
	ctl reset-requests >/dev/null
	run snap create web --debug
	ctl config '{"token_ttl": 3600, "reported_ttl": null, "save_delay": 0.6}' >/dev/null
	expect_rc 0
	expect_err 're-authenticating once'
}

t_ctrl_c_while_waiting_leaves_the_snapshot_running() {
	ctl config '{"save_delay": 4}' >/dev/null
	"$LIFEBOAT_BIN/lifeboat-snap" create web >"$WORK/out" 2>"$WORK/err" &
	local pid=$!
	sleep 1.5
	kill -INT $pid
	set +e; wait $pid; RC=$?; set -e
	ctl config '{"save_delay": 0.6}' >/dev/null
	OUT=$(cat "$WORK/out") ERR=$(cat "$WORK/err")
	expect_rc 130
	expect_err 'interrupted: the snapshot goes on in the cloud; wait for it with: lifeboat-snap wait [0-9a-f-]{36}'
	local id
	id=$(grep -oE 'wait [0-9a-f-]{36}' <<<"$ERR" | cut -d' ' -f2)
	run snap wait "$id"
	expect_rc 0
	expect_eq "$OUT" "$id"
}

t_no_wait_returns_at_once() {
	ctl config '{"save_delay": 5}' >/dev/null
	run snap create web --no-wait
	ctl config '{"save_delay": 0.6}' >/dev/null
	expect_rc 0
	expect_eq "$(image_field "$OUT" 'd["status"] in ("queued", "saving")')" True
	run snap create web --no-wait --start-after
	expect_rc 2
}

t_show_text_and_missing_image() {
	run snap create web --reason shown
	local id=$OUT
	run snap show "$id"
	expect_rc 0
	expect_out '^status: +active$'
	expect_out '^sha512 +[0-9a-f]{128}$'
	expect_out '^reason: +shown$'
	run snap show 00000000-dead-4000-8000-000000000000
	expect_rc 7
	# an image that is not there is not one being saved: 404 at once
	run snap wait 00000000-dead-4000-8000-000000000000 --timeout 1m
	expect_rc 7
	expect_err 'IMAGE must be an id or a unique name'
}

# ---- ConoHa ------------------------------------------------------------

t_conoha_requires_stop_even_image_backed() {
	ctl config '{"mode": "conoha-v2"}' >/dev/null
	OS_PROFILE=conoha run snap create web
	expect_rc 9
	expect_err 'ConoHa requires it'
	OS_PROFILE=conoha run snap create web --stop --start-after
	ctl config '{"mode": "stock"}' >/dev/null
	expect_rc 0
	expect_eq "$(server_status aaaaaaaa-0000-4000-8000-000000000001)" ACTIVE
}

t_conoha_over_quota_refused_before_saving() {
	ctl config '{"mode": "conoha-v3", "image_quota_gb": 20}' >/dev/null
	ctl reset-requests >/dev/null
	OS_PROFILE=conoha run snap create chat --stop
	ctl config '{"mode": "stock", "image_quota_gb": 50}' >/dev/null
	expect_rc 9
	expect_err 'image quota too small'
	expect_err 'lifeboat-snap prune chat --keep N'
	expect_eq "$(count_requests POST '/action$')" 0
}

t_conoha_silent_no_op_is_caught() {
	ctl config '{"mode": "conoha-v3", "next_save": ["none"]}' >/dev/null
	OS_PROFILE=conoha run snap create off --timeout 3s
	ctl config '{"mode": "stock"}' >/dev/null
	expect_rc 9
	expect_err 'accepted the save but image [0-9a-f-]+ never appeared'
}

# ---- list and prune ------------------------------------------------------

seed() { # seed ID SERVER_ID SERVER_NAME CREATED STATUS
	ctl images "{\"id\": \"$1\", \"status\": \"$5\", \"created_at\": \"$4\",
	  \"properties\": {\"lifeboat.server_id\": \"$2\", \"lifeboat.server_name\": \"$3\",
	  \"lifeboat.created_at\": \"$4\"}}" >/dev/null
}

seed_history() {
	local s=bbbbbbbb-0000-4000-8000-00000000000
	seed ${s}1 gone-1 old 2026-01-01T00:00:00Z active
	seed ${s}2 gone-1 old 2026-02-01T00:00:00Z active
	seed ${s}3 gone-1 old 2026-03-01T00:00:00Z killed
	seed ${s}4 gone-1 old 2026-04-01T00:00:00Z active
	seed ${s}5 gone-1 old 2026-05-01T00:00:00Z saving
	ctl images '{"id": "cccccccc-0000-4000-8000-000000000001", "name": "not ours", "created_at": "2025-01-01T00:00:00Z"}' >/dev/null
}

t_list_newest_first_and_all() {
	seed_history
	run snap list old --json
	expect_rc 0
	expect_eq "$(json_get '[i["id"][-1] for i in d["images"]]')" "['5', '4', '3', '2', '1']"
	run snap list --all --json
	expect_eq "$(json_get '"cccccccc-0000-4000-8000-000000000001" in [i["id"] for i in d["images"]]')" True
	run snap list --json
	expect_eq "$(json_get '"cccccccc-0000-4000-8000-000000000001" in [i["id"] for i in d["images"]]')" False
	run snap list old
	expect_out '^ID +SERVER +CREATED +STATUS +SIZE +HASHES +REASON$'
}

t_prune_dry_run_then_for_real() {
	seed_history
	ctl reset-requests >/dev/null
	run snap prune old --keep 1 --dry-run
	expect_rc 0
	expect_out 'would delete image bbbbbbbb-0000-4000-8000-000000000003'
	expect_out 'would delete image bbbbbbbb-0000-4000-8000-000000000002'
	expect_out 'would delete image bbbbbbbb-0000-4000-8000-000000000001'
	expect_not '000000000004|000000000005'
	expect_eq "$(count_requests DELETE .)" 0
	# keep 1 = the newest (saving, never deleted); the newest active is kept too
	run snap prune gone-1 --keep 1 --older-than 30d --json
	expect_rc 0
	expect_eq "$(json_get 'sorted(i["id"][-1] for i in d["deleted"])')" "['1', '2', '3']"
	expect_eq "$(json_get '{i["image"]["id"][-1]: i["because"] for i in d["kept"]}')" \
		"{'5': 'within --keep', '4': 'newest active image'}"
	expect_eq "$(count_requests DELETE .)" 3
	run snap list --all --json
	expect_eq "$(json_get '"cccccccc-0000-4000-8000-000000000001" in [i["id"] for i in d["images"]]')" True
}

t_prune_needs_keep() {
	run snap prune old
	expect_rc 2
	expect_err 'needs --keep'
}

t_live_status_line_on_a_terminal() {
	ctl config '{"save_delay": 2}' >/dev/null
	run /usr/bin/python3 "$TOP/tests/integration/pty_run.py" x "$LIFEBOAT_BIN/lifeboat-snap" create web
	expect_rc 0
	grep -q $'\r\033\[Kimage [0-9a-f-]*: saving  0:0[0-9]' <<<"$OUT" || fail "no redrawn status line"
	grep -q $'\r\033\[Kimage [0-9a-f-]*: active  293.0 KiB  0:0[0-9]' <<<"$OUT" || fail "no final status line"
}

# ---- issue 11 ------------------------------------------------------------

server_actions() { # the actions the cloud recorded for a server, oldest first
	curl -sS --cacert "$CERTS/ca.crt" -H "X-Auth-Token: $(token)" \
		"$CLOUD_URL/compute/v2.1/servers/$1/os-instance-actions" |
		/usr/bin/python3 -c 'import json,sys; print([a["action"] for a in reversed(json.load(sys.stdin)["instanceActions"])])'
}

token() {
	curl -sS -i --cacert "$CERTS/ca.crt" -H 'Content-Type: application/json' --data \
		'{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "demo", "domain": {"name": "Default"}, "password": "demo-secret"}}}, "scope": {"project": {"name": "demo", "domain": {"name": "Default"}}}}}' \
		"$CLOUD_URL/identity/v3/auth/tokens" | sed -n 's/^X-Subject-Token: *//Ip' | tr -d '\r'
}

t_stop_stops_an_image_backed_server_on_stock_openstack() {
	local web=aaaaaaaa-0000-4000-8000-000000000001
	ctl reset-requests >/dev/null
	run snap create web --stop --start-after
	expect_rc 0
	expect_err 'stopping server web'
	expect_eq "$(image_field "$OUT" 'd["lifeboat.consistency"]')" stopped
	expect_eq "$(server_actions $web | grep -o "'stop', 'createImage', 'start'\]$")" "'stop', 'createImage', 'start']"
	expect_eq "$(server_status $web)" ACTIVE
}

t_running_server_saved_without_stop_is_labelled_crash_consistent() {
	run snap create web
	expect_rc 0
	expect_err 'is running: the image is crash-consistent'
	expect_eq "$(image_field "$OUT" 'd["lifeboat.consistency"]')" crash-consistent
	run snap create off
	expect_eq "$(image_field "$OUT" 'd["lifeboat.consistency"]')" stopped
}

t_one_deadline_for_stop_save_and_start() {
	ctl config '{"transition_s": 0.9, "save_delay": 1.3}' >/dev/null
	local start=$SECONDS
	run snap create web --stop --start-after --timeout 2s
	expect_rc 10
	[ $((SECONDS - start)) -le 3 ] || fail "took $((SECONDS - start)) s for a 2 s --timeout"
	sleep 1.5
	ctl config '{"transition_s": 0.2}' >/dev/null
	snap wait "$(grep -oE 'wait [0-9a-f-]{36}' <<<"$ERR" | cut -d' ' -f2)" >/dev/null 2>&1 || true
	snap servers --json | grep -q . # the cloud is still there
	# the server stays stopped while the save may still run: start it for the others
	ctl server-action '{"id": "aaaaaaaa-0000-4000-8000-000000000001", "action": "start"}' >/dev/null
}

t_timeout_while_stopping_says_no_save_began() {
	ctl config '{"transition_s": 2}' >/dev/null
	ctl reset-requests >/dev/null
	run snap create web --stop --start-after --timeout 1s
	expect_rc 10
	expect_err 'is not SHUTOFF after 1s'
	expect_not 'may still be saving'
	# no save began, so --start-after still holds: os-stop, os-start, no createImage
	expect_err 'starting server web again'
	expect_eq "$(count_requests POST '/action$')" 2
	expect_eq "$(server_status aaaaaaaa-0000-4000-8000-000000000001)" ACTIVE
}

t_signal_ends_a_retry_after_wait_at_once() {
	local id
	id=$(snap create off --no-wait)
	faults '[{"path": "/image/v2/images/[^/]+$", "method": "GET", "status": 503, "retry_after": 60, "times": 20}]'
	local sig
	for sig in INT TERM; do
		"$LIFEBOAT_BIN/lifeboat-snap" wait "$id" >"$WORK/out" 2>"$WORK/err" &
		local pid=$! i
		for i in $(seq 100); do
			[ "$(count_requests GET "/v2/images/$id\$")" -ge 1 ] && break
			sleep 0.05
		done
		sleep 0.3
		local t0
		t0=$(date +%s%N)
		kill -$sig $pid
		set +e; wait $pid; RC=$?; set -e
		local ms=$((($(date +%s%N) - t0) / 1000000))
		OUT=$(cat "$WORK/out") ERR=$(cat "$WORK/err")
		expect_rc 130
		[ $ms -lt 1000 ] || fail "SIG$sig took $ms ms to end a Retry-After wait"
	done
}

t_conoha_quota_counts_only_the_projects_own_images() {
	ctl images '{"name": "public-os", "owner": "p-other", "visibility": "public", "size": 900000000000}' >/dev/null
	ctl config '{"mode": "conoha-v3", "image_quota_gb": 100}' >/dev/null
	OS_PROFILE=conoha run snap create off --no-wait
	ctl config '{"mode": "stock"}' >/dev/null
	expect_rc 0
	expect_not 'quota too small'
}

t_help_shows_every_option_that_steers_safety() {
	run snap --help
	expect_out -- '--wait'
	expect_out -- '--live'
	expect_out -- '--allow-http'
}
