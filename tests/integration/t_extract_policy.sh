# t_extract_policy.sh - the image policy end to end: what qemu is allowed
# to open, watched by fanotify (fanwatch.py). Three appliance launches,
# made once in setup_file (under the machine-wide appliance lock), in the
# release build only: the arguments qemu gets are the same in both builds,
# and the sanitizer build launches the appliance in other files. The
# refusals below them start no appliance at all, and run in both.
# lane: appliance

# traced OUTFILE CMD... - run CMD with every file under $WORK that is
# opened meanwhile, and every program CMD and its children run, logged to
# OUTFILE; RC, OUT, ERR as run() sets them
traced() {
	local log=$1
	shift
	run /usr/bin/python3 "$TOP/tests/integration/fanwatch.py" "$log" "$WORK" -- "$@"
}

# opened TRACE FILE [open|write] - FILE was opened (or opened for writing)
opened() {
	awk -v f="$(realpath -m "$2")" -v what="${3:-}" '
		{ p = $0; sub(/^[a-z]+ [0-9]+ /, "", p) }
		$1 != "exec" && p == f && (what == "" || $1 == what) { found = 1 }
		END { exit !found }' "$1"
}

# A raw ext4 disk whose first kilobyte (unused by ext4) the guest filled
# with a qcow2 header naming a file of this host as its backing file.
make_lure() {
	local disk=$1
	mke2fs -q -F -t ext4 -d "$WORK/ptree" -L lure "$disk" 32M >/dev/null || return 1
	qemu-img create -q -f qcow2 -u -b "$SECRET" -F raw "$WORK/lure.qcow2" 32M || return 1
	dd if="$WORK/lure.qcow2" of="$disk" bs=1024 count=1 conv=notrunc status=none
}

setup_file() {
	export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
	X=$LIFEBOAT_BIN/lifeboat-extract
	SECRET=$WORK/host-secret
	echo "only on this host" >"$SECRET"
	mkdir -p "$WORK/ptree/notes" && echo "guest data" >"$WORK/ptree/notes/a.txt"
	make_lure "$WORK/lure.raw" || return 1
	make_lure "$WORK/lure-cloud.raw" || return 1
	echo '{"id": "x", "disk_format": "raw"}' >"$WORK/lure-cloud.raw.json"
	# a chain of depth 2: top.qcow2 -> mid.qcow2 -> base.raw (ext4)
	mke2fs -q -F -t ext4 -d "$WORK/ptree" -L base "$WORK/base.raw" 32M >/dev/null || return 1
	qemu-img create -q -f qcow2 -b base.raw -F raw "$WORK/mid.qcow2" 32M || return 1
	qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 "$WORK/top.qcow2" 32M || return 1
	SUMS_BEFORE=$(cat "$WORK/lure.raw" "$WORK/base.raw" "$WORK/mid.qcow2" "$WORK/top.qcow2" | sha256sum)
	if sanitizer_build; then
		unset -f t_raw_with_a_qcow2_header_opens_nothing_else t_the_cloud_says_raw \
			t_chain_of_depth_two_every_level_pinned t_images_never_written
		return 0
	fi
	traced "$WORK/raw.trace" flock /tmp/lifeboat-appliance.lock "$X" --reader=appliance ls "$WORK/lure.raw" /notes --format raw
	RAW_RC=$RC RAW_OUT=$OUT RAW_ERR=$ERR
	traced "$WORK/cloud.trace" flock /tmp/lifeboat-appliance.lock "$X" --reader=appliance ls "$WORK/lure-cloud.raw" /notes
	CLOUD_RC=$RC CLOUD_OUT=$OUT CLOUD_ERR=$ERR
	traced "$WORK/chain.trace" flock /tmp/lifeboat-appliance.lock "$X" ls "$WORK/top.qcow2" /notes --allow-backing
	CHAIN_RC=$RC CHAIN_OUT=$OUT CHAIN_ERR=$ERR
	SUMS_AFTER=$(cat "$WORK/lure.raw" "$WORK/base.raw" "$WORK/mid.qcow2" "$WORK/top.qcow2" | sha256sum)
}

# never_opened TRACE FILE - FILE was opened by no process
never_opened() {
	! opened "$1" "$2" || fail "$2 was opened: $(grep -F "$2" "$1" | head -3)"
}

# only_read TRACE FILE - FILE opened, and never for writing
only_read() {
	opened "$1" "$2" open || fail "$2 was never opened"
	! opened "$1" "$2" write || fail "$2 was opened for writing"
}

t_raw_with_a_qcow2_header_opens_nothing_else() {
	RC=$RAW_RC OUT=$RAW_OUT ERR=$RAW_ERR
	expect_rc 0
	expect_out '^a.txt$'
	expect_err 'begins with a qcow2 header, but --format says raw: opened as raw'
	never_opened "$WORK/raw.trace" "$SECRET"
	only_read "$WORK/raw.trace" "$WORK/lure.raw"
	# qemu itself ran (the appliance did open the disk)
	grep -qE '^exec [0-9]+ .*/qemu-system' "$WORK/raw.trace" || fail "qemu never ran"
}

t_the_cloud_says_raw() {
	RC=$CLOUD_RC OUT=$CLOUD_OUT ERR=$CLOUD_ERR
	expect_rc 0
	expect_out '^a.txt$'
	expect_err 'but the cloud \(its .json sidecar\) says raw'
	never_opened "$WORK/cloud.trace" "$SECRET"
	only_read "$WORK/cloud.trace" "$WORK/lure-cloud.raw"
}

t_chain_of_depth_two_every_level_pinned() {
	RC=$CHAIN_RC OUT=$CHAIN_OUT ERR=$CHAIN_ERR
	expect_rc 0
	expect_out '^a.txt$'
	local f
	for f in top.qcow2 mid.qcow2 base.raw; do
		only_read "$WORK/chain.trace" "$WORK/$f"
	done
}

t_images_never_written() {
	expect_eq "$SUMS_AFTER" "$SUMS_BEFORE"
}

# ---- refused before qemu or the appliance sees the image ---------------------

# no_qemu TRACE - nothing in TRACE ran qemu (refusals take the appliance
# lock all the same: were the policy to regress, they would launch one)
no_qemu() {
	! grep -qE '^exec [0-9]+ .*/qemu' "$1" || fail "qemu was started"
}

t_data_file_refused_and_never_opened() {
	local img
	qemu-img create -q -f qcow2 -o data_file="$WORK/df.raw" "$WORK/df.qcow2" 1M
	qemu-img amend -q -o data_file="$SECRET" "$WORK/df.qcow2"
	qemu-img create -q -f qcow2 -o data_file="$WORK/df2.raw",data_file_raw=on "$WORK/dfraw.qcow2" 1M
	qemu-img amend -q -o data_file="$SECRET" "$WORK/dfraw.qcow2"
	for img in df dfraw; do
		traced "$WORK/$img.trace" flock /tmp/lifeboat-appliance.lock "$X" ls "$WORK/$img.qcow2" / --allow-backing
		expect_rc 3
		expect_err "external data file '$SECRET'"
		never_opened "$WORK/$img.trace" "$SECRET"
		no_qemu "$WORK/$img.trace"
	done
	expect_err '\(raw data file\)'
	# lifeboat-snap verify asks the same policy
	sha512sum "$WORK/df.qcow2" | sed "s|$WORK/||" >"$WORK/df.qcow2.sha512"
	traced "$WORK/snap.trace" "$LIFEBOAT_BIN/lifeboat-snap" verify "$WORK/df.qcow2"
	[ "$RC" != 0 ] || fail "lifeboat-snap verify passed a data-file image"
	expect_err "external data file '$SECRET'"
	expect_not 'no backing file'
	never_opened "$WORK/snap.trace" "$SECRET"
}

t_encrypted_refused_saying_what_is_needed() {
	qemu-img create -q -f qcow2 --object secret,id=s,data=pw \
		-o encrypt.format=luks,encrypt.key-secret=s "$WORK/luks.qcow2" 1M
	run flock /tmp/lifeboat-appliance.lock "$X" ls "$WORK/luks.qcow2" /
	expect_rc 3
	expect_err 'encrypted \(LUKS\).*passphrase.*qemu-img convert'
}

t_chain_without_backing_format_refused() {
	qemu-img create -q -f qcow2 -b base.raw -F raw "$WORK/nofmt.qcow2" 32M
	# rename the backing format extension: a header that names no format
	printf '\0\0\0\1' | dd of="$WORK/nofmt.qcow2" bs=1 seek=112 conv=notrunc status=none
	traced "$WORK/nofmt.trace" flock /tmp/lifeboat-appliance.lock "$X" ls "$WORK/nofmt.qcow2" / --allow-backing
	expect_rc 3
	expect_err "backing file 'base.raw' has no format in the header"
	no_qemu "$WORK/nofmt.trace"
}

t_chain_naming_a_host_file_two_levels_down() {
	mkdir -p "$WORK/c2"
	qemu-img create -q -f qcow2 -u -b "$SECRET" -F raw "$WORK/c2/mid.qcow2" 1M
	qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 "$WORK/c2/top.qcow2" 1M
	traced "$WORK/c2.trace" flock /tmp/lifeboat-appliance.lock "$X" ls "$WORK/c2/top.qcow2" / --allow-backing
	expect_rc 3
	expect_err "backing file '$SECRET' does not resolve inside the image's directory"
	never_opened "$WORK/c2.trace" "$SECRET"
}

t_the_cloud_says_qcow2_the_file_is_not() {
	cp "$WORK/base.raw" "$WORK/liar.img"
	echo '{"disk_format": "qcow2"}' >"$WORK/liar.img.json"
	run flock /tmp/lifeboat-appliance.lock "$X" ls "$WORK/liar.img" /
	expect_rc 3
	expect_err 'said to be qcow2 but has no qcow2 header; the format came from the cloud'
	echo '{"disk_format": "vmdk"}' >"$WORK/liar.img.json"
	run flock /tmp/lifeboat-appliance.lock "$X" ls "$WORK/liar.img" /
	expect_rc 3
	expect_err "format 'vmdk' is not raw or qcow2"
}
