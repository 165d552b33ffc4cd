# t_fleet_quota.sh - several saves at once on ConoHa: each worker sees the
# image quota alone, so the run checks once, before any worker starts,
# that the quota holds them all (ConoHa accepts a save over quota and
# silently does nothing)

setup_file() {
	cloud_start --tls
	head -c 100000 /dev/urandom >"$WORK/disk.img"
	local i
	for i in 1 2 3; do # g-1gb: 50 GB each
		add_server "{\"name\": \"q$i\", \"disk\": \"$WORK/disk.img\"}"
	done
	# another project's public image: never counted against ours
	ctl images '{"name": "public-os", "owner": "p-other", "visibility": "public", "size": 900000000000}' >/dev/null
	export OS_PROFILE=conoha
}

# our own images in Glance: their ids, and their bytes
own_images() {
	ctl_get state | /usr/bin/python3 -c '
import json, sys
print(" ".join(i["id"] for i in json.load(sys.stdin)["images"] if i.get("owner") == "p-demo"))'
}
own_bytes() {
	ctl_get state | /usr/bin/python3 -c '
import json, sys
print(sum(i.get("size") or 0 for i in json.load(sys.stdin)["images"] if i.get("owner") == "p-demo"))'
}

# each case from an empty quota, the servers running
setup_each() {
	ctl config '{"mode": "conoha-v3", "save_delay": 0.3, "transition_s": 0.1, "next_save": []}' >/dev/null
	no_faults
	local id
	for id in $(own_images); do ctl image-delete "{\"id\": \"$id\"}" >/dev/null; done
	ctl_get state | /usr/bin/python3 -c '
import json, sys
print(" ".join(s["id"] for s in json.load(sys.stdin)["servers"]))' >"$WORK/ids"
	for id in $(cat "$WORK/ids"); do
		ctl server-action "{\"id\": \"$id\", \"action\": \"start\"}" >/dev/null
	done
	ctl reset-requests >/dev/null
}

t_room_for_two_of_three_refuses_before_anything() {
	# 100 GB: room for two 50 GB saves, and each alone would pass
	ctl config '{"image_quota_gb": 100}' >/dev/null
	run snap create q1 q2 q3 --stop --parallel 3
	expect_rc 9
	expect_err 'image quota too small for 3 saves at once: they need 150.0 GB, and 100.0 GB of 100.0 GB is free, room for 2 of them'
	expect_err 'Nothing was stopped or saved'
	expect_eq "$(count_requests POST '/action$')" 0
	expect_eq "$(count_requests PATCH '')" 0
	expect_eq "$(count_requests DELETE '')" 0
	expect_eq "$(own_bytes)" 0
	# by selectors too, counted the same
	run snap create --match 'q*' --stop --parallel 3
	expect_rc 9
	expect_err 'room for 2 of them'
	expect_eq "$(count_requests POST '/action$')" 0
}

t_room_for_three_saves_all_three() {
	ctl config '{"image_quota_gb": 150}' >/dev/null
	run snap create q1 q2 q3 --stop --parallel 3
	expect_rc 0
	local i
	for i in 1 2 3; do
		expect_out "^q$i +ok +[0-9a-f-]{36}\$"
	done
	# three stops and three saves
	expect_eq "$(count_requests POST '/action$')" 6
	expect_not 'quota too small'
	expect_eq "$(own_images | wc -w)" 3
}

# A hostile or broken cloud's sizes never wrap the sum: two boot volumes
# of 6e9 GB each (12e18 bytes, past what a signed 64-bit count holds) are
# refused as too big, before any worker, never taken for room
t_sizes_past_any_count_are_refused_not_wrapped() {
	ctl config '{"image_quota_gb": 100}' >/dev/null
	add_server "{\"name\": \"huge1\", \"disk\": \"$WORK/disk.img\", \"volume_backed\": true, \"size_gb\": 6000000000}"
	add_server "{\"name\": \"huge2\", \"disk\": \"$WORK/disk.img\", \"volume_backed\": true, \"size_gb\": 6000000000}"
	run snap create huge1 huge2 --stop --parallel 2
	expect_rc 9
	expect_err 'image quota too small for 2 saves at once'
	expect_err 'room for 0 of them'
	expect_eq "$(count_requests POST '/action$')" 0
}

# The quota check before the workers never stops a rescue: a server whose
# save size cannot be found (its volumes cannot be listed) is left to its
# own worker, which reports it, and the others are saved
t_a_server_whose_size_is_unknown_stops_no_other() {
	ctl config '{"image_quota_gb": 1000}' >/dev/null
	add_server "{\"name\": \"vb1\", \"disk\": \"$WORK/disk.img\", \"volume_backed\": true, \"size_gb\": 100}"
	add_server "{\"name\": \"vb2\", \"disk\": \"$WORK/disk.img\", \"volume_backed\": true, \"size_gb\": 100}"
	local bad
	bad=$(snap servers -f value -c id -c name | awk '$2 == "vb2" {print $1}')
	faults "[{\"path\": \"/servers/$bad/os-volume_attachments\$\", \"status\": 404, \"times\": 100}]"
	run snap create vb1 vb2 --stop --parallel 2
	expect_rc 15
	expect_out '^vb1 +ok +[0-9a-f-]{36}$'
	expect_out '^vb2 +failed'
	expect_not 'quota too small'
}
