# t_extract_inputs.sh - what lifeboat-extract is given to read: anything
# too small to hold a partition table or a filesystem superblock is refused
# before any reader starts and before copy makes DEST (exit 4); a directory, a FIFO or a missing file
# is named once in its message; a block device is read (as raw), held with
# O_EXCL for the run so that nothing mounts it meanwhile, and refused when
# something holds it already. Block devices through a read-only loop device
# (root and losetup; the cases say so and pass when there is neither). One
# appliance launch, for the block device.
# lane: appliance

setup_file() {
	export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
	. "$TOP/tests/images/appliance-lock.sh"
	X=$LIFEBOAT_BIN/lifeboat-extract
	printf 'hello world\n' >"$WORK/x"           # 12 bytes
	head -c 2047 /dev/zero >"$WORK/short"
	mkdir -p "$WORK/d" "$WORK/btree/etc"
	mkfifo "$WORK/fifo"
	echo "on a block device" >"$WORK/btree/etc/motd"
	head -c $((1 << 20)) /dev/urandom >"$WORK/btree/etc/big"   # more than a pipe holds
	mke2fs -q -F -t ext4 -d "$WORK/btree" "$WORK/b.raw" 16M >/dev/null 2>&1 || return 1
	# an appliance that only says it was started
	cat >"$WORK/hv" <<-HV
	#!/bin/sh
	echo started >>"$WORK/hv.log"
	exit 1
	HV
	chmod +x "$WORK/hv"
	LOOP=
	if [ "$(id -u)" = 0 ] && command -v losetup >/dev/null &&
	   LOOP=$(losetup -f --show -r "$WORK/b.raw" 2>/dev/null) && [ -b "$LOOP" ]; then
		trap 'losetup -d "$LOOP" 2>/dev/null; cloud_stop' EXIT
	else
		LOOP=
		echo "    (no loop device here: the block device cases are skipped)"
	fi
}

# no reader starts: neither the appliance (its qemu would log) nor the native one
t_too_small_is_refused_before_any_reader() {
	local f
	for f in x short; do
		rm -f "$WORK/hv.log"
		LIBGUESTFS_HV=$WORK/hv run "$X" ls "$WORK/$f" /
		expect_rc 4
		expect_err "^lifeboat-extract: '$WORK/$f': $(stat -c %s "$WORK/$f") bytes: too small to be a disk image$"
		[ ! -e "$WORK/hv.log" ] || fail "the appliance was started for '$f'"
		expect_not 'using the appliance|native reader'
	done
	LIBGUESTFS_HV=$WORK/hv run "$X" --reader=appliance copy "$WORK/x" / "$WORK/xdest" \
		--manifest "$WORK/x.manifest"
	expect_rc 4
	[ ! -e "$WORK/hv.log" ] || fail "the appliance was started"
	# checked before anything is made: no DEST, no manifest
	[ ! -e "$WORK/xdest" ] || fail "DEST was made for an image refused"
	[ -z "$(ls "$WORK" | grep '^x\.manifest')" ] || fail "a manifest was made for an image refused"
	[ "$(grep -c "too small" <<<"$ERR")" = 1 ] || fail "refused more than once: $ERR"
}

# 'd': 'd' is not a regular file - the name once, whatever the command
t_messages_name_the_image_once() {
	local f cmd
	for f in d fifo missing; do
		for cmd in "ls IMG /" "copy IMG / $WORK/o" "filesystems IMG" "inventory IMG" \
		           "--reader=native cat IMG /etc/motd"; do
			run timeout 20 $X ${cmd/IMG/$WORK/$f}
			[ "$RC" = 4 ] || fail "$cmd on $f: exit $RC"
			[ "$(grep -o "'$WORK/$f'" <<<"$ERR" | wc -l)" = 1 ] ||
				fail "$cmd on $f names it more than once: $ERR"
		done
	done
	run "$X" ls "$WORK/d" /
	expect_err "^lifeboat-extract: '$WORK/d': a directory, not a disk image$"
	run timeout 20 "$X" ls "$WORK/fifo" /
	expect_err "a FIFO, not a disk image$"
}

t_block_device_is_read_as_raw() {
	[ -n "$LOOP" ] || { echo "    (skipped: no loop device)"; return 0; }
	run "$X" --reader=native cat "$LOOP" /etc/motd
	expect_rc 0
	expect_eq "$OUT" "on a block device"
	run "$X" --reader=native copy "$LOOP" /etc "$WORK/bdest" --no-progress
	expect_rc 0
	cmp "$WORK/btree/etc/motd" "$WORK/bdest/etc/motd" || fail "the copy differs"
	# a block device is a disk, not an image file: never qcow2
	run "$X" --reader=native --format qcow2 ls "$LOOP" /
	expect_rc 2
	expect_err 'a block device is read as raw, not as qcow2'
}

# held with O_EXCL while it is read: nothing else can claim (or mount) it.
# The reader is held mid-run by a pipe nobody reads yet.
t_block_device_is_held_exclusively() {
	[ -n "$LOOP" ] || { echo "    (skipped: no loop device)"; return 0; }
	local pid i held
	rm -f "$WORK/pipe" && mkfifo "$WORK/pipe"
	"$X" --reader=native cat "$LOOP" /etc/big >"$WORK/pipe" 2>/dev/null &
	pid=$!
	exec 7<"$WORK/pipe"
	for i in $(seq 100); do
		ls -l /proc/$pid/fd 2>/dev/null | grep -q " $LOOP\$" && break
		sleep 0.05
	done
	held=$(/usr/bin/python3 -c '
import errno, os, sys
try:
    os.close(os.open(sys.argv[1], os.O_RDONLY | os.O_EXCL))
    print("free")
except OSError as e:
    print("busy" if e.errno == errno.EBUSY else e)' "$LOOP")
	cmp - "$WORK/btree/etc/big" <&7 || fail "cat gave other bytes"
	exec 7<&-
	wait "$pid" || fail "cat failed"
	expect_eq "$held" busy
	# and the other way round: a device someone holds is refused, exit 4
	/usr/bin/python3 -c '
import os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_EXCL)
open(sys.argv[2], "w").close()
time.sleep(30)' "$LOOP" "$WORK/holding" &
	pid=$!
	for i in $(seq 100); do [ -e "$WORK/holding" ] && break; sleep 0.05; done
	run "$X" --reader=native ls "$LOOP" /
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	expect_rc 4
	expect_err "'$LOOP': the block device is in use"
}

# one launch: the device read by the appliance, and a PATH it lacks named
# once in the message (libguestfs' own "call: PATH: " left out)
t_block_device_through_the_appliance() {
	[ -n "$LOOP" ] || { echo "    (skipped: no loop device)"; return 0; }
	run with_appliance_lock "$X" --reader=appliance copy "$LOOP" /nowhere /etc "$WORK/adest" \
		--no-progress
	expect_rc 7
	expect_eq "$(cat "$WORK/adest/etc/motd")" "on a block device"
	expect_err "'/nowhere'"
	[ "$(grep -o '/nowhere' <<<"$ERR" | wc -l)" -le 2 ] || fail "'/nowhere' named over and over"
	! grep -q "'/nowhere': [a-z]*: /nowhere" <<<"$ERR" || fail "the path repeated: $ERR"
}
