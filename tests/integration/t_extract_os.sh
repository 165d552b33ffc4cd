# t_extract_os.sh - an OS disk: GPT, root on one partition and /var on
# another (found through /etc/fstab by inspection), /var's journal dirty
# as after a crash; data disks with no OS: raw with two ext4 filesystems,
# and a compressed qcow2 (MBR) with ext4, XFS on LVM and btrfs. Five appliance launches in all
# (one of them builds the LVM image).
# lane: appliance

setup_file() {
	export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
	IMG=$WORK/gpt.qcow2
	from_cache gpt-os "$IMG" "$TOP/tests/images/gpt-os.sh" @OUT@ || return 1
	SUM_BEFORE=$(sha256sum <"$IMG")
	X=$LIFEBOAT_BIN/lifeboat-extract
	"$X" filesystems "$IMG" --json >"$WORK/fs.json" 2>"$WORK/fs.err"
	FS_RC=$?
	"$X" copy "$IMG" /var/lib/chat /etc/hostname "$WORK/os-dest" >"$WORK/os-copy.out" 2>"$WORK/os-copy.err"
	COPY_RC=$?
	"$TOP/tests/images/gpt-os.sh" "$WORK/data.raw" --no-os || return 1
	"$X" ls "$WORK/data.raw" /dev/sda2/lib -R -l >"$WORK/data.out" 2>"$WORK/data.err"
	DATA_RC=$?
	"$TOP/tests/images/lvm-xfs.sh" "$WORK/lvm.qcow2" >"$WORK/lvm-build.err" 2>&1 || return 1
	LVM_SUM_BEFORE=$(sha256sum <"$WORK/lvm.qcow2")
	"$X" copy "$WORK/lvm.qcow2" /dev/vg0/lv0/chat /dev/sda1/todo.txt /dev/sda3/emoji "$WORK/lvm-dest" \
		--manifest "$WORK/lvm.manifest" >"$WORK/lvm.out" 2>"$WORK/lvm.err"
	LVM_RC=$?
}

t_inspection_finds_the_os_and_both_filesystems() {
	RC=$FS_RC OUT=$(cat "$WORK/fs.json") ERR=$(cat "$WORK/fs.err")
	expect_rc 0
	expect_eq "$(json_get 'd["format"]')" qcow2
	expect_eq "$(json_get 'sorted(f["label"] for f in d["filesystems"])')" "['root', 'var']"
	expect_eq "$(json_get 'd["os"][0]["distro"]')" debian
	expect_eq "$(json_get 'd["os"][0]["hostname"]')" chat-01
	expect_eq "$(json_get 'd["os"][0]["major"]')" 12
}

t_var_on_its_own_dirty_partition_is_copied() {
	OUT=$(cat "$WORK/os-copy.out") ERR=$(cat "$WORK/os-copy.err") RC=$COPY_RC
	expect_rc 0
	[ "$(ls "$WORK/os-dest/chat/icons" | wc -l)" = 20 ] || fail "icons missing"
	expect_eq "$(cat "$WORK/os-dest/hostname")" chat-01
}

t_image_unchanged() {
	expect_eq "$(sha256sum <"$IMG")" "$SUM_BEFORE"
}

t_raw_data_disk_with_two_filesystems_mounts_each() {
	OUT=$(cat "$WORK/data.out") ERR=$(cat "$WORK/data.err") RC=$DATA_RC
	expect_rc 0
	expect_err '/dev/sda1 mounted: its files are /dev/sda1/\.\.\.'
	expect_err '/dev/sda2 mounted: its files are /dev/sda2/\.\.\.'
	# -R: every file below, named relative to the directory listed
	expect_eq "$(grep -c '^f 0644 .* chat/icons/u[0-9]*\.png$' <<<"$OUT")" 20
	expect_out '^d 0755 +0 +0 .* chat/icons$'
}

t_xfs_on_lvm_and_btrfs_in_a_compressed_mbr_qcow2_are_copied() {
	OUT=$(cat "$WORK/lvm.out") ERR=$(cat "$WORK/lvm.err") RC=$LVM_RC
	expect_rc 0
	expect_err '/dev/vg0/lv0 mounted: its files are /dev/vg0/lv0/\.\.\.'
	expect_err '/dev/sda3 mounted: its files are /dev/sda3/\.\.\.'
	diff -r "$WORK/lvm.qcow2.tree/chat" "$WORK/lvm-dest/chat" || fail "XFS tree differs"
	diff -r "$WORK/lvm.qcow2.tree/emoji" "$WORK/lvm-dest/emoji" || fail "btrfs tree differs"
	expect_eq "$(cat "$WORK/lvm-dest/todo.txt")" "ops notes"
	run "$X" verify "$WORK/lvm-dest" "$WORK/lvm.manifest"
	expect_rc 0
	expect_eq "$(sha256sum <"$WORK/lvm.qcow2")" "$LVM_SUM_BEFORE"
}
