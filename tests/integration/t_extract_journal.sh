# t_extract_journal.sh - lifeboat-extract's native reader on filesystems a
# crash left dirty (tests/images/dirty-journal.sh: one appliance run): the
# copy must be the replayed tree, equal to what the same reader gives on a
# copy e2fsck replayed, and unlike the stale tree debugfs (no replay) shows
# lane: appliance

setup_file() {
	export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
	. "$TOP/tests/images/appliance-lock.sh"
	X=$LIFEBOAT_BIN/lifeboat-extract
	J=$WORK/dirty
	from_cache dirty-journal "$J" "$TOP/tests/images/dirty-journal.sh" @OUT@ >"$WORK/images.log" 2>&1 ||
		{ cat "$WORK/images.log"; return 1; }
	local f
	for f in ext4 ext4j ext3; do
		sha256sum <"$J/$f.raw" >"$J/$f.sum"
		cp --sparse=always "$J/$f.raw" "$J/$f.fsck.raw"
		e2fsck -y -E journal_only "$J/$f.fsck.raw" >/dev/null 2>&1
		"$X" --reader=native copy "$J/$f.raw" / "$J/$f.native" --manifest "$J/$f.m" \
			--no-progress >"$J/$f.out" 2>"$J/$f.err"
		echo $? >"$J/$f.rc"
		"$X" --reader=native copy "$J/$f.fsck.raw" / "$J/$f.replayed" --manifest "$J/$f.fsck.m" \
			--no-progress >/dev/null 2>&1
		mkdir -p "$J/$f.stale"
		debugfs -R "rdump / $J/$f.stale" "$J/$f.raw" >/dev/null 2>&1
	done
	# the appliance's kernel replays the journal into its overlay: one launch
	with_appliance_lock "$X" --reader=appliance copy "$J/ext4.raw" / "$J/ext4.appliance" \
		--manifest "$J/ext4.appliance.m" --no-progress >"$J/ext4.appliance.out" 2>&1
	echo $? >"$J/ext4.appliance.rc"
}

t_appliance_shows_the_same_replayed_tree() {
	expect_eq "$(cat "$J/ext4.appliance.rc")" 0
	diff <(sort "$J/ext4.m") <(sort "$J/ext4.appliance.m") >"$J/ext4.appliance.diff" ||
		fail "native and appliance differ: $(head -6 "$J/ext4.appliance.diff")"
	expect_eq "$(cat "$J/ext4.appliance/new/hello.txt")" "hello after the crash"
}

t_the_journals_need_recovery() {
	local f
	for f in ext4 ext4j ext3; do
		dumpe2fs -h "$J/$f.raw" 2>/dev/null | grep -q '^Filesystem features:.*needs_recovery' ||
			fail "$f: needs_recovery is not set"
	done
}

t_native_copy_is_the_replayed_tree() {
	local f
	for f in ext4 ext4j ext3; do
		expect_eq "$(cat "$J/$f.rc")" 0
		[ -s "$J/$f.m" ] || fail "$f: no manifest"
		diff "$J/$f.m" "$J/$f.fsck.m" >/dev/null || fail "$f: differs from e2fsck's replay: $(diff "$J/$f.m" "$J/$f.fsck.m" | head -5)"
		expect_eq "$(cat "$J/$f.native/new/hello.txt")" "hello after the crash"
		[ ! -e "$J/$f.native/data/keep/f3.bin" ] || fail "$f: a file removed before the crash is back"
	done
	cmp "$J/ext4j.native/new/escape.bin" "$J/ext4j.replayed/new/escape.bin" || fail "escaped blocks"
}

# (ext4j's journal wraps: part of its changes went home before the crash)
t_debugfs_sees_a_stale_tree() {
	local f
	for f in ext4 ext4j ext3; do
		! diff -rq "$J/$f.stale" "$J/$f.native" >/dev/null 2>&1 ||
			fail "$f: debugfs sees the same tree: the test proves nothing"
	done
	[ ! -e "$J/ext4.stale/new/hello.txt" ] || fail "ext4: hello.txt is home already"
}

t_images_never_written() {
	local f
	for f in ext4 ext4j ext3; do
		expect_eq "$(sha256sum <"$J/$f.raw")" "$(cat "$J/$f.sum")"
	done
}
