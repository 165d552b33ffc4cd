# t_preflight.sh - what can be checked on this machine is checked before
# anything is stopped, saved or fetched: each refusal is proved by the
# test cloud's request log, which must hold no state-changing request
# (and, for a download, no GET of the image's data)

setup_file() {
	cloud_start --tls
	head -c $((2 * 1024 * 1024 + 777)) /dev/urandom >"$WORK/disk.img"
	SUM=$(sha512sum "$WORK/disk.img" | cut -d' ' -f1)
	ctl config '{"save_delay": 0.2, "transition_s": 0.1}' >/dev/null
	add_server "{\"name\": \"db\", \"disk\": \"$WORK/disk.img\"}"
	add_server "{\"name\": \"vol\", \"disk\": \"$WORK/disk.img\", \"volume_backed\": true, \"size_gb\": 1}"
	IMG=$(snap create db --name pf-unique 2>/dev/null) || return 1
	KILLED=$(ctl images '{"name": "pf-killed", "status": "killed", "size": null}' | json_id)
	ctl images '{"name": "pf-twin"}' >/dev/null
	ctl images '{"name": "pf-twin"}' >/dev/null
	LONG=$(printf 'x%.0s' $(seq 256))
	mkdir -p "$WORK/pf"
}

setup_each() {
	no_faults
	rm -rf "$WORK/pf" && mkdir -p "$WORK/pf"
	ctl reset-requests >/dev/null
}

json_id() { /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'; }

# Requests that change something (the identity service's token aside).
mutations() {
	ctl_get requests | /usr/bin/python3 -c '
import json, sys
print(sum(1 for r in json.load(sys.stdin)["requests"]
          if r["method"] in ("POST", "PUT", "PATCH", "DELETE") and "/identity/" not in r["path"]))'
}

all_requests() {
	ctl_get requests | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["requests"]))'
}

expect_nothing_sent() {
	expect_eq "$(mutations)" 0
	expect_eq "$(count_requests GET '/file$')" 0
}

# ---- destinations ----------------------------------------------------------

t_create_download_onto_an_existing_file_fails_before_the_snapshot() {
	echo precious >"$WORK/pf/cd.qcow2"
	run snap create db --download "$WORK/pf/cd.qcow2"
	expect_rc 13
	expect_err "'.*cd.qcow2' exists: it is never overwritten without --force"
	expect_eq "$(all_requests)" 0
	expect_eq "$(cat "$WORK/pf/cd.qcow2")" precious
}

t_download_to_a_directory_fails_even_with_force() {
	mkdir "$WORK/pf/adir"
	run snap download "$IMG" "$WORK/pf/adir" --force
	expect_rc 13
	expect_err "'.*adir' is a directory: name a file in it"
	expect_eq "$(all_requests)" 0
	[ ! -e "$WORK/pf/adir.part" ] || fail "a part was left"
	run snap create db --download "$WORK/pf/adir" --force
	expect_rc 13
	expect_nothing_sent
	run snap retire db --download "$WORK/pf/adir" --stop --yes
	expect_rc 13
	expect_nothing_sent
}

t_retire_onto_something_not_a_regular_file_refuses_first() {
	ln -s "$WORK/disk.img" "$WORK/pf/s.qcow2"
	run snap retire db --download "$WORK/pf/s.qcow2" --stop --yes
	expect_rc 13
	expect_err "'.*s.qcow2' exists and is not a regular file"
	expect_eq "$(all_requests)" 0
}

t_missing_or_read_only_directory_fails_before_the_snapshot() {
	run snap create db --download "$WORK/pf/nodir/f.qcow2"
	expect_rc 13
	expect_err "cannot write '.*nodir/f.qcow2': directory '.*nodir': No such file or directory"
	run snap retire db --download "$WORK/pf/nodir/f.qcow2" --stop --yes
	expect_rc 13
	expect_nothing_sent
	mkdir "$WORK/pf/ro"
	mount -t tmpfs -o size=1m,ro tmpfs "$WORK/pf/ro" || { echo "    (cannot mount tmpfs here)"; return 1; }
	run snap create db --download "$WORK/pf/ro/f.qcow2"
	local rc=$RC
	run snap download "$IMG" "$WORK/pf/ro/f.qcow2"
	umount "$WORK/pf/ro"
	expect_rc 13
	expect_err "directory '.*ro': Read-only file system"
	RC=$rc expect_rc 13
	expect_nothing_sent
}

t_too_little_space_fails_before_the_first_byte() {
	mkdir "$WORK/pf/small"
	mount -t tmpfs -o size=1m tmpfs "$WORK/pf/small" || { echo "    (cannot mount tmpfs here)"; return 1; }
	run snap download "$IMG" "$WORK/pf/small/f"
	local left
	left=$(ls -A "$WORK/pf/small")
	umount "$WORK/pf/small"
	expect_rc 13
	expect_err "not enough space for '.*small/f': 2.0 MiB more needed, [0-9.]+ (KiB|MiB) free on its filesystem"
	expect_eq "$(count_requests GET '/file$')" 0
	expect_eq "$left" ""
}

t_a_403_leaves_no_empty_part() {
	faults '[{"path": "/file$", "status": 403, "message": "download is not permitted", "times": 5}]'
	run snap download "$IMG" "$WORK/pf/n"
	expect_rc 12
	expect_eq "$(ls -A "$WORK/pf")" ""
}

# The disk fills up while the first request waits: the first write fails,
# and the empty part goes with it.
t_a_full_disk_before_the_first_byte_leaves_no_empty_part() {
	mkdir "$WORK/pf/full"
	mount -t tmpfs -o size=3m tmpfs "$WORK/pf/full" || { echo "    (cannot mount tmpfs here)"; return 1; }
	faults '[{"path": "/file$", "action": "hang", "times": 1}]'
	"$LIFEBOAT_BIN/lifeboat-snap" download "$IMG" "$WORK/pf/full/f" >"$WORK/out" 2>"$WORK/err" &
	local pid=$!
	ctl wait-hang '{"timeout": 10}' >/dev/null
	dd if=/dev/zero of="$WORK/pf/full/filler" bs=64k 2>/dev/null || true
	ctl release >/dev/null
	set +e; wait $pid; RC=$?; set -e
	OUT=$(cat "$WORK/out") ERR=$(cat "$WORK/err")
	local left
	left=$(ls -A "$WORK/pf/full")
	umount "$WORK/pf/full"
	expect_rc 13
	expect_err "cannot write '.*f.part': No space left on device; nothing is kept"
	expect_eq "$left" filler
}

# ---- text sent to Glance ---------------------------------------------------

t_reason_name_and_property_within_glance_limits() {
	run snap create db --reason "$LONG"
	expect_rc 2
	expect_err '--reason is 256 characters long \(256 bytes\); Nova and Glance take at most 255 characters'
	run snap create db --name "$LONG"
	expect_rc 2
	run snap create db --property "k=$LONG"
	expect_rc 2
	run snap retire db --download "$WORK/pf/r.qcow2" --stop --yes --reason "$LONG"
	expect_rc 2
	expect_eq "$(all_requests)" 0
	run snap create db --reason "${LONG:1}" --no-wait
	expect_rc 0
}

# Nova and Glance count characters, not bytes: 255 two-byte or four-byte
# characters are sent (and kept whole), a 256th is refused, naming both;
# a name of four-byte ones is not (Nova's name format ends at U+FFFE)
t_text_limits_count_characters_not_bytes() {
	local e255 e256 emoji kanji
	e255=$(printf '\303\251%.0s' $(seq 255))   # é, two bytes
	e256=$e255$'\xc3\xa9'
	emoji=$(printf '\360\237\230\200%.0s' $(seq 255))   # U+1F600, four bytes
	kanji=$(printf '\346\227\245%.0s' $(seq 255))   # U+65E5, three bytes
	run snap create db --reason "$e256" --no-wait
	expect_rc 2
	expect_err '--reason is 256 characters long \(512 bytes\); Nova and Glance take at most 255 characters'
	run snap create db --property "ticket=$e256" --no-wait
	expect_rc 2
	expect_err '--property ticket is 256 characters long'
	run snap create db --property $'t\xc3\xa9=x' --no-wait
	expect_rc 2
	expect_err "Nova takes property keys of ASCII letters"
	run snap create db --stop --name ' padded '
	expect_rc 2
	expect_err '--name: Nova takes a name that is not empty'
	# Nova's name format: printable through U+FFFE only, and no Unicode
	# space at either end (its own regex refuses each of these)
	local bad
	for bad in "$emoji" $'\xc2\xa0nbsp' $'soft\xc2\xadhyphen' $'nel\xc2\x85' $'zw\xe2\x80\x8bsp'; do
		run snap create db --stop --name "$bad"
		expect_rc 2
		expect_err '--name: Nova takes a name'
	done
	expect_eq "$(all_requests)" 0
	run snap create db --reason "$emoji" --property "ticket=$e255" --no-wait
	expect_rc 0
	OUT=$(snap show "$OUT" --json)
	expect_eq "$(json_get 'len(d["glance"]["lifeboat.reason"])')" 255
	run snap create db --reason "$e255" --name "$kanji" --property "ticket=$e255" --no-wait
	expect_rc 0
	OUT=$(snap show "$OUT" --json)
	expect_eq "$(json_get 'len(d["glance"]["lifeboat.reason"])')" 255
	expect_eq "$(json_get 'd["glance"]["ticket"] == d["glance"]["lifeboat.reason"]')" True
	expect_eq "$(json_get 'len(d["glance"]["name"])')" 255
}

# The default image name holds the server's name, which Nova never
# checked (ConoHa's name tag, an old server): what Nova's name format
# would refuse in it becomes '_', rather than a createImage refused
# after the server was stopped
t_default_name_holds_only_what_nova_takes() {
	add_server "{\"name\": \"chat$(printf '\360\237\230\200')x\", \"disk\": \"$WORK/disk.img\"}"
	run snap create "chat$(printf '\360\237\230\200')x" --no-wait
	expect_rc 0
	OUT=$(snap show "$OUT" --json)
	expect_eq "$(json_get 'd["glance"]["name"].startswith("lifeboat-chat_x-")')" True
}

# Glance takes JSON, and JSON takes UTF-8 only: text that is not UTF-8 was
# silently dropped from the metadata (--reason, --property) or, as the
# name, sent as an empty request after the server had been stopped.
t_text_that_is_not_utf8_is_refused_before_the_server_is_stopped() {
	run snap create db --stop --name $'bad\xffname'
	expect_rc 2
	expect_err '--name is not UTF-8 text'
	run snap create db --stop --reason $'why\xfe'
	expect_rc 2
	expect_err '--reason is not UTF-8 text'
	run snap create db --property $'k=\xc3'
	expect_rc 2
	run snap retire db --download "$WORK/pf/u.qcow2" --stop --yes --reason $'\xff'
	expect_rc 2
	expect_eq "$(all_requests)" 0
	run snap create db --reason 'ünïcödé, ok' --no-wait
	expect_rc 0
}

# ---- retire ------------------------------------------------------------------

t_retire_without_terminal_or_yes_refuses_before_anything() {
	run snap retire db --download "$WORK/pf/t.qcow2" --stop </dev/null
	expect_rc 2
	expect_err 'no terminal to ask on: pass --yes'
	expect_eq "$(all_requests)" 0
	[ ! -e "$WORK/pf/t.qcow2.retire.json" ] || fail "a receipt was written"
	run snap retire db --download "$WORK/pf/t.qcow2" --stop --dry-run </dev/null
	expect_rc 2
}

t_retire_dry_run_makes_the_refusal_of_the_real_run() {
	run snap retire vol --download "$WORK/pf/v.qcow2" --live --yes --dry-run
	expect_rc 9
	expect_err "server 'vol' \([0-9a-f-]{36}\) is ACTIVE, and its disk can be saved only once it is stopped .*run again with --stop"
	local dry=$ERR
	run snap retire vol --download "$WORK/pf/v.qcow2" --live --yes
	expect_rc 9
	expect_eq "$(grep -c 'run again with --stop' <<<"$ERR")" 1
	expect_eq "$(tail -1 <<<"$ERR")" "$(tail -1 <<<"$dry")"
	expect_nothing_sent
}

t_retire_dry_run_of_an_unknown_server_names_no_receipt() {
	run snap retire web --download "$WORK/pf/w.qcow2" --stop --yes --dry-run
	expect_rc 7
	expect_err "no server named 'web'"
	expect_not '\(null\)'
	expect_not 'receipt'
	[ ! -e "$WORK/pf/w.qcow2.retire.json" ] || fail "a receipt was written"
}

# ---- images by name, killed images, standard output -------------------------

t_wait_for_no_such_image_is_7_at_once() {
	local t0=$SECONDS
	run snap wait not-an-id --timeout 10m
	expect_rc 7
	[ $((SECONDS - t0)) -lt 5 ] || fail "took $((SECONDS - t0)) s"
	expect_err "IMAGE must be an id or a unique name; see 'lifeboat-snap list'"
	expect_not 'quota'
	run snap show not-an-id
	expect_rc 7
	run snap download not-an-id "$WORK/pf/x"
	expect_rc 7
}

t_show_and_download_take_a_unique_name() {
	run snap show pf-unique --json
	expect_rc 0
	expect_eq "$(json_get 'd["image"]["id"]')" "$IMG"
	run snap download pf-unique "$WORK/pf/u.qcow2"
	expect_rc 0
	expect_eq "$(sha512sum <"$WORK/pf/u.qcow2" | cut -d' ' -f1)" "$SUM"
	run snap show pf-twin
	expect_rc 8
	expect_err "'pf-twin' names 2 images; give one of their ids"
	expect_eq "$(grep -cE '^  [0-9a-f-]{36}  ' <<<"$ERR")" 2
}

t_download_of_a_killed_image_says_the_save_failed() {
	run snap download "$KILLED" "$WORK/pf/k"
	expect_rc 9
	expect_err "is 'killed': its save failed .*lifeboat-snap create SERVER"
	expect_not 'wait for it'
	expect_eq "$(ls -A "$WORK/pf")" ""
}

t_download_to_standard_output() {
	"$LIFEBOAT_BIN/lifeboat-snap" download "$IMG" - >"$WORK/pf/stream" 2>"$WORK/err"
	expect_eq "$(sha512sum <"$WORK/pf/stream" | cut -d' ' -f1)" "$SUM"
	expect_eq "$(ls -A "$WORK/pf")" stream
	[ ! -e ./- ] || fail "a file named '-'"
	set +e
	"$LIFEBOAT_BIN/lifeboat-snap" download "$IMG" - 2>"$WORK/err" | cat >"$WORK/pf/piped"
	RC=${PIPESTATUS[0]}
	set -e
	expect_rc 0
	cmp -s "$WORK/pf/piped" "$WORK/disk.img" || fail "piped bytes differ"
	faults '[{"path": "/file$", "action": "corrupt", "offset": 77777, "times": 1}]'
	set +e
	"$LIFEBOAT_BIN/lifeboat-snap" download "$IMG" - >"$WORK/pf/bad" 2>"$WORK/err"
	RC=$?
	set -e
	ERR=$(cat "$WORK/err")
	expect_rc 11
	expect_err 'written to standard output is not the image: discard it'
	run /usr/bin/python3 "$TOP/tests/integration/pty_run.py" x "$LIFEBOAT_BIN/lifeboat-snap" download "$IMG" -
	expect_rc 2
	expect_out 'standard output is a terminal'
}

# With standard output closed, the first socket or file opened took its
# number, and the image went into the connection to the cloud.
t_download_to_a_closed_standard_output_refuses_first() {
	set +e
	"$LIFEBOAT_BIN/lifeboat-snap" download "$IMG" - >&- 2>"$WORK/err"
	RC=$?
	set -e
	ERR=$(cat "$WORK/err")
	expect_rc 2
	expect_err 'standard output is closed'
	expect_eq "$(count_requests GET '/file$')" 0
	set +e
	"$LIFEBOAT_BIN/lifeboat-snap" show "$IMG" --json >&- 2>"$WORK/err"
	RC=$?
	set -e
	[ "$RC" != 0 ] || fail "show --json to a closed standard output exit 0"
}

# A reader that stops early (download ID - | head) killed the download
# by SIGPIPE, without a word; it is a write that failed, and says so.
t_download_to_a_pipe_closed_early_says_so() {
	set +e
	"$LIFEBOAT_BIN/lifeboat-snap" download "$IMG" - 2>"$WORK/err" | head -c 10 >/dev/null
	RC=${PIPESTATUS[0]}
	set -e
	ERR=$(cat "$WORK/err")
	expect_rc 13
	expect_err 'cannot write to standard output after [0-9]+ bytes: Broken pipe; what was written is incomplete'
	expect_eq "$(ls -A "$WORK/pf")" ""
}

# FILE.lock is truncated and given the pid: a FILE.lock that is another
# name of some file (a hard link) had that file overwritten.
t_a_lock_or_part_that_is_a_hard_link_is_never_written() {
	echo precious >"$WORK/pf/precious"
	ln "$WORK/pf/precious" "$WORK/pf/h.qcow2.lock"
	run snap download "$IMG" "$WORK/pf/h.qcow2"
	expect_rc 13
	expect_err "h.qcow2.lock' has other names"
	expect_eq "$(cat "$WORK/pf/precious")" precious
	rm "$WORK/pf/h.qcow2.lock"
	# FILE.part is resumed: one that is another name had the image appended
	ln "$WORK/pf/precious" "$WORK/pf/h.qcow2.part"
	run snap download "$IMG" "$WORK/pf/h.qcow2"
	expect_rc 13
	expect_err "h.qcow2.part' has other names"
	expect_eq "$(cat "$WORK/pf/precious")" precious
	expect_eq "$(count_requests GET '/file$')" 0
	rm "$WORK/pf/h.qcow2.part"
	# a sidecar's .tmp left behind is a name, never written through
	ln "$WORK/pf/precious" "$WORK/pf/h.qcow2.json.tmp"
	run snap download "$IMG" "$WORK/pf/h.qcow2"
	expect_rc 0
	expect_eq "$(cat "$WORK/pf/precious")" precious
}

# ---- resuming retire -----------------------------------------------------------

# FILE fetched before, by hand, is the server's own image: it is adopted,
# not refused for existing, and no second image or download is made.
t_retire_adopts_a_file_that_verifies() {
	add_server "{\"name\": \"ad\", \"disk\": \"$WORK/disk.img\"}"
	local f=$WORK/pf/ad.qcow2 id
	id=$(snap create ad --stop --download "$f" 2>/dev/null)
	ctl reset-requests >/dev/null
	run snap retire ad --download "$f" --stop --yes
	expect_rc 0
	expect_err "'.*ad.qcow2' holds image $id of server 'ad', verified: it is kept"
	expect_eq "$(count_requests POST '/action$')" 0
	expect_eq "$(count_requests GET '/file$')" 0
	OUT=$(cat "$f.retire.json")
	expect_eq "$(json_get 'd["image_id"]')" "$id"
	expect_eq "$(json_get 'd["steps"]["delete"]["outcome"]')" done
}

# An older image of the server, fetched long ago, is adopted only when
# the cloud can show the server did not run since: on a cloud that hides
# its instance actions, the power state alone proves nothing of an image
# retire did not take, and a stale copy would justify the delete.
t_retire_does_not_adopt_an_old_image_the_cloud_cannot_date() {
	add_server "{\"name\": \"ad3\", \"disk\": \"$WORK/disk.img\"}"
	local f=$WORK/pf/ad3.qcow2 sid
	snap create ad3 --stop --download "$f" >/dev/null 2>&1
	sid=$(snap servers -f value -c id -c name | awk '$2 == "ad3" {print $1}')
	ctl server-action "{\"id\": \"$sid\", \"action\": \"start\"}" >/dev/null
	ctl server-action "{\"id\": \"$sid\", \"action\": \"stop\"}" >/dev/null
	faults '[{"path": "/os-instance-actions$", "status": 403, "times": 1000}]'
	run snap retire ad3 --download "$f" --stop --yes
	expect_eq "$(count_requests DELETE '/servers/')" 0
	expect_not 'verified: it is kept'
	[ "$RC" != 0 ] || fail "retire exit 0 without a fresh copy"
}

# A file of the server that no longer verifies is not this retire's: it
# is refused, and the server stays.
t_retire_does_not_adopt_a_corrupt_file() {
	add_server "{\"name\": \"ad2\", \"disk\": \"$WORK/disk.img\"}"
	local f=$WORK/pf/ad2.qcow2
	snap create ad2 --stop --download "$f" >/dev/null 2>&1
	flip_byte "$f" 5000
	run snap retire ad2 --download "$f" --stop --yes
	expect_rc 13
	expect_err 'FILE exists and is not this retire.s: its bytes are not the image'
	expect_eq "$(count_requests DELETE '/servers/')" 0
}

# Ctrl-C in the download: one hint, the command to run again.
t_retire_interrupted_prints_one_hint() {
	add_server "{\"name\": \"ih\", \"disk\": \"$WORK/disk.img\"}"
	local f=$WORK/pf/ih.qcow2
	faults '[{"path": "/file$", "action": "slow", "bps": 400000, "times": 1}]'
	"$LIFEBOAT_BIN/lifeboat-snap" retire ih --download "$f" --stop --yes >"$WORK/out" 2>"$WORK/err" &
	local pid=$! i
	for i in $(seq 100); do [ -s "$f.part" ] && break; sleep 0.1; done
	kill -INT $pid
	set +e; wait $pid; RC=$?; set -e
	OUT=$(cat "$WORK/out") ERR=$(cat "$WORK/err")
	expect_rc 130
	expect_eq "$(grep -c 'again' <<<"$ERR")" 1
	expect_err "retire interrupted at step 'download'; server 'ih' \([0-9a-f-]{36}\) is not deleted. Run the same command again"
	expect_not 'lifeboat-snap download'
	run snap retire ih --download "$f" --stop --yes
	expect_rc 0
	expect_err 'resuming'
}

# The image's size is known only once it is saved: a disk larger than the
# free space is a warning before the save, and the download refuses before
# its first byte, naming the image that was saved.
t_create_warns_of_space_and_names_the_saved_image() {
	mkdir "$WORK/pf/tiny"
	mount -t tmpfs -o size=1m tmpfs "$WORK/pf/tiny" || { echo "    (cannot mount tmpfs here)"; return 1; }
	run snap create vol --stop --start-after --download "$WORK/pf/tiny/v.qcow2"
	local left
	left=$(ls -A "$WORK/pf/tiny")
	umount "$WORK/pf/tiny"
	expect_rc 13
	expect_err "warning: '.*v.qcow2' has [0-9.]+ (KiB|MiB) free and the disk of server 'vol' is 1.0 GB|warning: .* the image may not fit"
	expect_err 'not enough space for'
	expect_err 'image [0-9a-f-]{36} is saved and active; fetch it with: lifeboat-snap download [0-9a-f-]{36} FILE'
	expect_eq "$left" ""
	expect_eq "$(count_requests GET '/file$')" 0
}
