# t_extract_os.sh - an OS disk: GPT, root on one partition and /var on
# another (found through /etc/fstab by inspection), /var's journal dirty
# as after a crash. Two appliance launches in all.

setup_file() {
	export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
	IMG=$WORK/gpt.qcow2
	"$TOP/tests/images/gpt-os.sh" "$IMG" || return 1
	SUM_BEFORE=$(sha256sum <"$IMG")
	X=$LIFEBOAT_BIN/lifeboat-extract
	"$X" filesystems "$IMG" --json >"$WORK/fs.json" 2>"$WORK/fs.err"
	FS_RC=$?
	"$X" copy "$IMG" /var/lib/chat /etc/hostname "$WORK/os-dest" >"$WORK/os-copy.out" 2>"$WORK/os-copy.err"
	COPY_RC=$?
	"$TOP/tests/images/gpt-os.sh" "$WORK/data.qcow2" --no-os || return 1
	"$X" ls "$WORK/data.qcow2" /sda2/lib/chat/icons -l >"$WORK/data.out" 2>"$WORK/data.err"
	DATA_RC=$?
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

t_data_disk_with_two_filesystems_mounts_each() {
	OUT=$(cat "$WORK/data.out") ERR=$(cat "$WORK/data.err") RC=$DATA_RC
	expect_rc 0
	expect_err '/dev/sda1 is at /sda1'
	expect_err '/dev/sda2 is at /sda2'
	expect_eq "$(grep -c '^f 0644 ' <<<"$OUT")" 20
}
