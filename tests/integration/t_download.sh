# t_download.sh - download and verify: a fault matrix in which every run
# ends in a verified file or a clear error with a resumable part, and
# never a wrong file under the final name

setup_file() {
	cloud_start --tls
	"$TOP/tests/cloud/make-disk.sh" "$WORK/real.qcow2"
	head -c $((4 * 1024 * 1024 + 12345)) /dev/urandom >"$WORK/big.img"
	SUM_BIG=$(sha512sum "$WORK/big.img" | cut -d' ' -f1)
	ctl config '{"save_delay": 0.3}' >/dev/null
	add_server "{\"name\": \"real\", \"disk\": \"$WORK/real.qcow2\"}"
	add_server "{\"name\": \"big\", \"disk\": \"$WORK/big.img\"}"
	IMG_REAL=$(snap create real) || return 1
	IMG_BIG=$(snap create big) || return 1
	mkdir -p "$WORK/dl"
}

setup_each() {
	no_faults
	ctl config '{"token_ttl": 3600, "reported_ttl": null}' >/dev/null
	rm -rf "$WORK/dl" && mkdir -p "$WORK/dl"
}

expect_good_file() { # FILE
	[ -f "$1" ] || fail "no '$1'"
	[ ! -e "$1.part" ] || fail "'$1.part' left behind"
	[ ! -e "$1.part.json" ] && [ ! -L "$1.part.json" ] || fail "'$1.part.json' left behind"
	expect_eq "$(sha512sum "$1" | cut -d' ' -f1)" "$SUM_BIG"
	(cd "$(dirname "$1")" && sha512sum -c --status "$(basename "$1").sha512") || fail "sha512sum -c"
}

expect_no_final() { # FILE
	[ ! -e "$1" ] || fail "'$1' exists under its final name"
}

t_download_writes_file_and_sidecars() {
	run snap download "$IMG_BIG" "$WORK/dl/big.qcow2"
	expect_rc 0
	expect_eq "$OUT" "$WORK/dl/big.qcow2"
	expect_good_file "$WORK/dl/big.qcow2"
	expect_err "sha512 verified"
	OUT=$(cat "$WORK/dl/big.qcow2.json")
	expect_eq "$(json_get 'd["image"]["id"]')" "$IMG_BIG"
	expect_eq "$(json_get 'd["hashes"]["sha512"]')" "$SUM_BIG"
	expect_eq "$(json_get 'd["verified_with"]')" "['sha512']"
	expect_eq "$(json_get 'd["source_url"]')" "$CLOUD_URL/image/v2/images/$IMG_BIG/file"
	expect_eq "$(json_get 'd["image"]["server_display_name"]')" big
	expect_eq "$(stat -c %a "$WORK/dl/big.qcow2")" 600
}

t_all_hashes_checks_md5_too() {
	run snap download "$IMG_BIG" "$WORK/dl/b" --all-hashes --json
	expect_rc 0
	expect_eq "$(json_get 'd["verified_with"]')" "['sha512', 'md5']"
	expect_eq "$(json_get 'd["hashes"]["md5"]')" "$(md5sum "$WORK/big.img" | cut -d' ' -f1)"
}

t_existing_file_needs_force() {
	echo precious >"$WORK/dl/f"
	run snap download "$IMG_BIG" "$WORK/dl/f"
	expect_rc 13
	expect_err 'never overwritten without --force'
	expect_eq "$(cat "$WORK/dl/f")" precious
	run snap download "$IMG_BIG" "$WORK/dl/f" --force
	expect_rc 0
	expect_good_file "$WORK/dl/f"
}

t_dropped_connection_resumes_at_several_offsets() {
	local at
	for at in 1 65536 1000000 4194304; do
		faults "[{\"path\": \"/file\$\", \"action\": \"drop_after\", \"bytes\": $at, \"times\": 1}]"
		ctl reset-requests >/dev/null
		run snap download "$IMG_BIG" "$WORK/dl/d$at"
		expect_rc 0
		expect_err "transfer broke at byte $at"
		expect_good_file "$WORK/dl/d$at"
		expect_eq "$(count_requests GET '/file$')" 2
	done
}

t_many_drops_give_up_with_a_part() {
	faults '[{"path": "/file$", "action": "drop_after", "bytes": 100000, "times": 50}]'
	ctl reset-requests >/dev/null
	run snap download "$IMG_BIG" "$WORK/dl/x" --tries 3
	expect_rc 5
	expect_eq "$(count_requests GET '/file$')" 3
	expect_err "gave up after 3 broken transfers \(--tries\); '.*x.part' keeps 100000 bytes"
	expect_no_final "$WORK/dl/x"
	[ -s "$WORK/dl/x.part" ] || fail "no part kept"
	no_faults
	run snap download "$IMG_BIG" "$WORK/dl/x"
	expect_rc 0
	expect_err "resuming '.*x.part' at byte 100000"
	expect_good_file "$WORK/dl/x"
}

t_wrong_bytes_are_a_checksum_error() {
	faults '[{"path": "/file$", "action": "corrupt", "offset": 777777, "times": 1}]'
	run snap download "$IMG_BIG" "$WORK/dl/w"
	expect_rc 11
	expect_err 'checksum mismatch .*sha512 expected [0-9a-f]{128}, got [0-9a-f]{128}'
	expect_no_final "$WORK/dl/w"
	[ ! -e "$WORK/dl/w.part" ] || fail "bad part kept"
}

t_range_ignored_starts_again() {
	faults '[{"path": "/file$", "action": "drop_after", "bytes": 1000000, "times": 1},
	         {"path": "/file$", "action": "no_range", "times": 5}]'
	run snap download "$IMG_BIG" "$WORK/dl/r"
	expect_rc 0
	expect_err 'ignored the range: starting again from byte 0'
	expect_good_file "$WORK/dl/r"
}

# make_part IMAGE FILE BYTES: a download of IMAGE broken after BYTES, with
# no try left, so FILE.part keeps BYTES bytes and FILE.part.json its record
make_part() {
	faults "[{\"path\": \"/file\$\", \"action\": \"drop_after\", \"bytes\": $3, \"times\": 1}]"
	run snap download "$1" "$2" --tries 1
	no_faults
	expect_rc 5
	expect_eq "$(stat -c %s "$2.part")" "$3"
	[ -f "$2.part.json" ] || fail "no record '$2.part.json'"
	ctl reset-requests >/dev/null
}

# The image downloads with a Range header in the request log.
ranges() {
	ctl_get requests | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join(r["range"] for r in d["requests"] if r["method"] == "GET"
               and r["path"].endswith("/file") and r.get("range")))
'
}

t_part_already_whole_gets_416_and_verifies() {
	make_part "$IMG_BIG" "$WORK/dl/p" 100000
	cp "$WORK/big.img" "$WORK/dl/p.part" # the same file, now whole
	run snap download "$IMG_BIG" "$WORK/dl/p"
	expect_rc 0
	expect_good_file "$WORK/dl/p"
	expect_eq "$(count_requests GET '/file$')" 0
}

t_part_longer_than_image_starts_again() {
	make_part "$IMG_BIG" "$WORK/dl/l" 100000
	cat "$WORK/big.img" "$WORK/big.img" >"$WORK/dl/l.part"
	run snap download "$IMG_BIG" "$WORK/dl/l"
	expect_rc 0
	expect_err "'.*l.part' holds 8413298 bytes, not resumed: image $IMG_BIG has only 4206649; it is discarded"
	expect_eq "$(ranges)" ""
	expect_good_file "$WORK/dl/l"
}

# ---- a part carries the image it is the start of (FILE.part.json) ----------

t_same_image_resumes_with_a_range() {
	make_part "$IMG_BIG" "$WORK/dl/s" 1000000
	OUT=$(cat "$WORK/dl/s.part.json")
	expect_eq "$(json_get '(d["image_id"], d["size"], d["os_hash_value"], d["part"])')" \
		"('$IMG_BIG', 4206649, '$SUM_BIG', 's.part')"
	expect_eq "$(stat -c %a "$WORK/dl/s.part.json")" 600
	run snap download "$IMG_BIG" "$WORK/dl/s"
	expect_rc 0
	expect_err "resuming '.*s.part' at byte 1000000"
	expect_eq "$(ranges)" "bytes=1000000-"
	expect_good_file "$WORK/dl/s"
}

t_part_of_another_image_starts_again_naming_both() {
	make_part "$IMG_REAL" "$WORK/dl/o" 100000
	run snap download "$IMG_BIG" "$WORK/dl/o"
	expect_rc 0
	expect_err "^'.*o.part' holds 100000 bytes, not resumed: they are the start of image $IMG_REAL, not of image $IMG_BIG; it is discarded and image $IMG_BIG is downloaded from byte 0$"
	expect_not 'resuming'
	expect_eq "$(ranges)" ""
	expect_eq "$(count_requests GET '/file$')" 1
	expect_good_file "$WORK/dl/o"
}

# The record says what the bytes are; only the hash proves it.
t_record_of_the_image_over_other_bytes_is_caught_by_the_hash() {
	local n
	for n in 1000000 4206649; do
		make_part "$IMG_BIG" "$WORK/dl/w" 1000000
		head -c $n /dev/urandom | dd of="$WORK/dl/w.part" conv=notrunc status=none
		run snap download "$IMG_BIG" "$WORK/dl/w"
		expect_rc 11
		expect_err "checksum mismatch for image $IMG_BIG"
		expect_no_final "$WORK/dl/w"
		[ ! -e "$WORK/dl/w.part" ] || fail "bad part kept"
		[ ! -e "$WORK/dl/w.part.json" ] || fail "its record kept"
	done
}

# An older lifeboat-snap's part, or anything put there: whose bytes they
# are is unknown, so it is never resumed.
t_part_without_record_starts_again() {
	head -c 2000000 /dev/urandom >"$WORK/dl/g.part"
	run snap download "$IMG_BIG" "$WORK/dl/g"
	expect_rc 0
	expect_err "'.*g.part' holds 2000000 bytes, not resumed: it has no record '.*g.part.json'"
	expect_eq "$(ranges)" ""
	expect_good_file "$WORK/dl/g"
}

# Records nobody can trust: each is a reason to start again, never to
# resume, and nothing they point at is written.
t_records_not_to_be_trusted() {
	local f=$WORK/dl/h
	mkdir -p "$WORK/aside"
	# a link to the valid record of this very image, elsewhere
	make_part "$IMG_BIG" "$f" 100000
	mv "$f.part.json" "$WORK/aside/valid.json"
	ln -s "$WORK/aside/valid.json" "$f.part.json"
	run snap download "$IMG_BIG" "$f"
	expect_rc 0
	expect_err "its record '.*h.part.json' is a symbolic link, not one lifeboat-snap wrote"
	expect_eq "$(ranges)" ""
	expect_good_file "$f"
	[ -f "$WORK/aside/valid.json" ] || fail "the link's target is gone"
	# a hard link: the record is replaced, the other name never written
	rm "$f"
	make_part "$IMG_BIG" "$f" 100000
	ln -f "$f.part.json" "$WORK/aside/linked.json"
	local before
	before=$(cat "$WORK/aside/linked.json")
	run snap download "$IMG_BIG" "$f"
	expect_rc 0
	expect_err "is a file with other names, not one lifeboat-snap wrote"
	expect_eq "$(ranges)" ""
	expect_good_file "$f"
	expect_eq "$(cat "$WORK/aside/linked.json")" "$before"
	# huge (valid JSON still), a FIFO (never waited on), not a record,
	# another size, another part's, an id that is terminal control
	local kind
	for kind in huge fifo alien size other escape; do
		rm -f "$f"
		make_part "$IMG_BIG" "$f" 100000
		case $kind in
		huge) head -c 100000 /dev/zero | tr '\0' ' ' >>"$f.part.json" ;;
		fifo) rm "$f.part.json"; mkfifo "$f.part.json" ;;
		alien) echo '{"image_id": "x"}' >"$f.part.json" ;;
		size) sed -i 's/"size": 4206649/"size": 4206650/' "$f.part.json" ;;
		other) sed -i 's/"part": "h.part"/"part": "g.part"/' "$f.part.json" ;;
		escape) sed -i 's/"image_id": "[^"]*"/"image_id": "\\u001b]0;pwned\\u0007"/' "$f.part.json" ;;
		esac
		run timeout 60 "$LIFEBOAT_BIN/lifeboat-snap" download "$IMG_BIG" "$f"
		expect_rc 0
		case $kind in
		huge) expect_err "is larger than any record" ;;
		fifo) expect_err "is no regular file" ;;
		alien) expect_err "is not a record of a part" ;;
		size) expect_err "start of image $IMG_BIG as recorded with another size or hash than image $IMG_BIG has now" ;;
		other) expect_err "is that of another part file" ;;
		escape) expect_err 'start of image \\x1b]0;pwned\\x07, not of image'
		        ! grep -q $'\x1b' <<<"$ERR" || fail "a control character reached stderr" ;;
		esac
		expect_err "it is discarded and image $IMG_BIG is downloaded from byte 0"
		expect_eq "$(ranges)" ""
		expect_good_file "$f"
	done
}

# FILE.part that is itself a finished download (FILE.part.sha512 beside
# it) is no part of FILE's: never emptied, never resumed into a mismatch.
t_a_finished_download_named_like_a_part_is_never_emptied() {
	snap download "$IMG_BIG" "$WORK/dl/fp.part" >/dev/null 2>&1
	ctl reset-requests >/dev/null
	run snap download "$IMG_REAL" "$WORK/dl/fp"
	expect_rc 13
	expect_err "'.*fp.part' has a '.sha512' of its own: it is a finished download"
	expect_no_final "$WORK/dl/fp"
	(cd "$WORK/dl" && sha512sum -c --status fp.part.sha512) || fail "fp.part was changed"
	expect_eq "$(count_requests GET '/file$')" 0
}

t_5xx_and_429_mid_stream() {
	faults '[{"path": "/file$", "action": "drop_after", "bytes": 500000, "times": 1},
	         {"path": "/file$", "status": 503, "times": 2},
	         {"path": "/file$", "status": 429, "retry_after": 1, "times": 1}]'
	ctl reset-requests >/dev/null
	run snap download "$IMG_BIG" "$WORK/dl/s"
	expect_rc 0
	expect_good_file "$WORK/dl/s"
	expect_eq "$(count_requests GET '/file$')" 5
}

t_token_expiring_mid_download() {
	ctl config '{"token_ttl": 1, "reported_ttl": 3600}' >/dev/null
	faults '[{"path": "/file$", "action": "stall", "bytes": 300000, "seconds": 1.5, "times": 1}]'
	run snap download "$IMG_BIG" "$WORK/dl/t" --debug
	expect_rc 0
	expect_err 're-authenticating once'
	expect_good_file "$WORK/dl/t"
}

t_stall_is_detected_and_resumed() {
	faults '[{"path": "/file$", "action": "stall", "bytes": 200000, "seconds": 8, "times": 1}]'
	local start=$SECONDS
	run snap download "$IMG_BIG" "$WORK/dl/st" --stall-timeout 2s
	expect_rc 0
	expect_err 'transfer broke at byte 200000'
	expect_good_file "$WORK/dl/st"
	[ $((SECONDS - start)) -lt 8 ] || fail "waited out the stall"
}

t_sigint_then_resume() {
	faults '[{"path": "/file$", "action": "slow", "bps": 1000000, "times": 1}]'
	"$LIFEBOAT_BIN/lifeboat-snap" download "$IMG_BIG" "$WORK/dl/i" >"$WORK/out" 2>"$WORK/err" &
	local pid=$!
	sleep 1.5
	kill -INT $pid
	set +e; wait $pid; RC=$?; set -e
	OUT=$(cat "$WORK/out") ERR=$(cat "$WORK/err")
	expect_rc 130
	expect_err "interrupted: '.*i.part' keeps [0-9]+ bytes; resume with: lifeboat-snap download $IMG_BIG .*dl/i"
	expect_no_final "$WORK/dl/i"
	local have
	have=$(stat -c %s "$WORK/dl/i.part")
	[ "$have" -gt 0 ] || fail "empty part"
	run snap download "$IMG_BIG" "$WORK/dl/i"
	expect_rc 0
	expect_err "resuming .* at byte $have"
	expect_good_file "$WORK/dl/i"
}

t_disk_too_small_fails_early() {
	mkdir -p "$WORK/small"
	mount -t tmpfs -o size=1m tmpfs "$WORK/small" || { echo "    (cannot mount tmpfs here)"; return 1; }
	run snap download "$IMG_BIG" "$WORK/small/f"
	umount "$WORK/small"
	expect_rc 13
	expect_err 'not enough space for .*: 4.0 MiB more needed, [0-9.]+ (KiB|MiB) free'
}

t_disk_full_mid_stream_keeps_the_part() {
	mkdir -p "$WORK/full"
	mount -t tmpfs -o size=6m tmpfs "$WORK/full" || { echo "    (cannot mount tmpfs here)"; return 1; }
	faults '[{"path": "/file$", "action": "slow", "bps": 2000000, "times": 1}]'
	( sleep 0.7; dd if=/dev/zero of="$WORK/full/filler" bs=1M count=5 2>/dev/null ) &
	run snap download "$IMG_BIG" "$WORK/full/f"
	wait
	expect_rc 13
	expect_err "cannot write '.*f.part' after [0-9]+ bytes: No space left on device; it is kept"
	expect_no_final "$WORK/full/f"
	[ -s "$WORK/full/f.part" ] || fail "part not kept"
	rm "$WORK/full/filler"
	run snap download "$IMG_BIG" "$WORK/full/f"
	local ok=$RC
	cp "$WORK/full/f" "$WORK/dl/f" 2>/dev/null; cp "$WORK/full/f.sha512" "$WORK/dl/f.sha512" 2>/dev/null
	umount "$WORK/full"
	RC=$ok expect_rc 0
	expect_good_file "$WORK/dl/f"
}

t_cloud_refusing_downloads() {
	faults '[{"path": "/file$", "status": 403, "message": "download is not permitted", "times": 5}]'
	run snap download "$IMG_BIG" "$WORK/dl/n"
	expect_rc 12
	expect_err 'refuses image downloads \(HTTP 403\)'
	expect_err 'download is not permitted'
	expect_no_final "$WORK/dl/n"
	[ ! -e "$WORK/dl/n.part" ] && [ ! -e "$WORK/dl/n.part.json" ] || fail "a part or its record is left"
}

t_not_active_image_is_refused() {
	ctl config '{"save_delay": 30}' >/dev/null
	local id
	id=$(snap create big --no-wait)
	ctl config '{"save_delay": 0.3}' >/dev/null
	run snap download "$id" "$WORK/dl/q"
	expect_rc 9
	expect_err "is '(queued|saving)', not active yet: wait for it first"
}

t_progress_json_lines() {
	faults '[{"path": "/file$", "action": "slow", "bps": 3000000, "times": 1}]'
	run snap download "$IMG_BIG" "$WORK/dl/j" --progress json
	expect_rc 0
	expect_err '^\{"bytes":[0-9]+,"total":4206649,"rate":[0-9]+,"eta":-?[0-9]+,"done":false\}$'
	expect_err '^\{"bytes":4206649,"total":4206649,.*"done":true\}$'
}

t_create_with_download() {
	run snap create real --download "$WORK/dl/real.qcow2"
	expect_rc 0
	[[ $OUT =~ ^[0-9a-f-]{36}$ ]] || fail "stdout is not the image id"
	cmp "$WORK/dl/real.qcow2" "$WORK/real.qcow2" || fail "download differs from the disk"
}

# ---- verify ----------------------------------------------------------------

t_verify_good_file_by_sidecar_and_by_image() {
	snap download "$IMG_REAL" "$WORK/dl/v.qcow2" >/dev/null 2>&1
	run snap verify "$WORK/dl/v.qcow2"
	expect_rc 0
	expect_out 'sha512 OK'
	expect_out 'qcow2 v3, virtual size 16777216 bytes, no backing file'
	expect_out 'qemu-img check found no errors'
	run snap verify "$WORK/dl/v.qcow2" "$IMG_REAL" --all-hashes --json
	expect_rc 0
	expect_eq "$(json_get 'sorted(d["hashes"])')" "['md5', 'sha512']"
	expect_eq "$(json_get 'd["qemu_img_check"]')" True
}

t_verify_flipped_byte() {
	snap download "$IMG_REAL" "$WORK/dl/v.qcow2" >/dev/null 2>&1
	flip_byte "$WORK/dl/v.qcow2" 500000
	run snap verify "$WORK/dl/v.qcow2"
	expect_rc 11
	expect_err 'sha512 mismatch: expected'
	run snap verify "$WORK/dl/v.qcow2" "$IMG_REAL"
	expect_rc 11
}

t_verify_refuses_backing_file() {
	qemu-img create -q -f qcow2 -b /etc/shadow -F raw "$WORK/dl/evil.qcow2" 1M
	sha512sum "$WORK/dl/evil.qcow2" | sed 's|  .*/|  |' >"$WORK/dl/evil.qcow2.sha512"
	run snap verify "$WORK/dl/evil.qcow2"
	expect_rc 11
	expect_err "has a backing file '/etc/shadow'"
}

t_verify_without_sidecar_or_image() {
	head -c 1000 /dev/urandom >"$WORK/dl/lonely"
	run snap verify "$WORK/dl/lonely"
	expect_rc 11
	expect_err 'name the IMAGE'
	run snap verify "$WORK/dl/nothing-here"
	expect_rc 13
}

# ---- issue 11 ------------------------------------------------------------

t_a_file_that_appears_meanwhile_is_not_replaced() {
	faults '[{"path": "/file$", "action": "slow", "bps": 4000000, "times": 1}]'
	( sleep 0.5; echo precious >"$WORK/dl/m" ) &
	run snap download "$IMG_BIG" "$WORK/dl/m"
	wait
	expect_rc 13
	expect_err "appeared while it was downloaded: it is not replaced without --force"
	expect_eq "$(cat "$WORK/dl/m")" precious
	[ -s "$WORK/dl/m.part" ] || fail "the verified part is not kept"
	[ -f "$WORK/dl/m.part.json" ] || fail "its record is not kept"
	# with the file moved aside, the verified part is taken as it is
	rm "$WORK/dl/m"
	ctl reset-requests >/dev/null
	run snap download "$IMG_BIG" "$WORK/dl/m"
	expect_rc 0
	expect_eq "$(count_requests GET '/file$')" 0
	expect_good_file "$WORK/dl/m"
}

t_two_downloads_to_one_file_the_second_refuses() {
	faults '[{"path": "/file$", "action": "slow", "bps": 2000000, "times": 1}]'
	"$LIFEBOAT_BIN/lifeboat-snap" download "$IMG_BIG" "$WORK/dl/two" >"$WORK/out1" 2>"$WORK/err1" &
	local pid=$! i
	for i in $(seq 100); do [ -e "$WORK/dl/two.lock" ] && break; sleep 0.05; done
	run snap download "$IMG_BIG" "$WORK/dl/two"
	expect_rc 13
	expect_err "already running as pid $pid"
	set +e; wait $pid; local first=$?; set -e
	RC=$first expect_rc 0
	expect_good_file "$WORK/dl/two"
	[ ! -e "$WORK/dl/two.lock" ] || fail "the lock is left behind"
}

t_a_clean_early_end_resumes() {
	faults '[{"path": "/file$", "action": "short", "bytes": 1000000, "times": 1}]'
	ctl reset-requests >/dev/null
	run snap download "$IMG_BIG" "$WORK/dl/e"
	expect_rc 0
	expect_err 'transfer broke at byte 1000000 \(the transfer of image .* ended early, at byte 1000000 of 4206649\); resuming'
	expect_good_file "$WORK/dl/e"
	expect_eq "$(count_requests GET '/file$')" 2
}

t_disk_format_names_the_file_and_is_checked_by_verify() {
	add_server "{\"name\": \"rawdisk\", \"disk\": \"$WORK/big.img\", \"disk_format\": \"raw\"}"
	local id
	id=$(snap create rawdisk 2>/dev/null)
	(cd "$WORK/dl" && run snap download "$id" && expect_rc 0 && expect_eq "$OUT" "$id.raw")
	[ -f "$WORK/dl/$id.raw" ] || fail "no $id.raw"
	OUT=$(cat "$WORK/dl/$id.raw.json")
	expect_eq "$(json_get 'd["image"]["disk_format"]')" raw
	run snap verify "$WORK/dl/$id.raw"
	expect_rc 0
	expect_out 'disk_format raw \(FILE.json\)'
	# what the cloud says wins: a file said to be raw is raw whatever its
	# first bytes (the guest's) say; one said to be qcow2 must be one
	snap download "$IMG_REAL" "$WORK/dl/q.qcow2" >/dev/null 2>&1
	(cd "$WORK/dl" && run snap download "$IMG_REAL" && expect_eq "$OUT" "$IMG_REAL.qcow2")
	sed -i 's/"disk_format": "qcow2"/"disk_format": "raw"/' "$WORK/dl/q.qcow2.json"
	run snap verify "$WORK/dl/q.qcow2"
	expect_rc 0
	expect_out 'disk_format raw \(FILE.json\): read as raw; .* look like a qcow2 header'
	expect_not 'qemu-img check'
	sed -i 's/"disk_format": "raw"/"disk_format": "qcow2"/' "$WORK/dl/$id.raw.json"
	run snap verify "$WORK/dl/$id.raw"
	expect_rc 11
	expect_err "is said to be qcow2 but has no qcow2 header"
}
