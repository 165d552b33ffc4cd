# t_extract_interrupt.sh - Ctrl-C inside a large file: nothing under its
# final name, no final manifest, exit 130; the same copy again repairs it.
# Two appliance launches.

setup_file() {
	export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
	X=$LIFEBOAT_BIN/lifeboat-extract
	mkdir -p "$WORK/itree/chat" || return 1
	echo "small" >"$WORK/itree/chat/a-small.txt"
	head -c $((128 << 20)) /dev/urandom >"$WORK/itree/chat/large.bin" || return 1
	mke2fs -q -F -t ext4 -d "$WORK/itree" "$WORK/int.raw" 256M >/dev/null || return 1
	D=$WORK/idest
	M=$WORK/int.manifest
	# the lock held by this shell for both runs: the signal must reach
	# lifeboat-extract itself, not a flock in front of it
	exec 9>/tmp/lifeboat-appliance.lock
	flock 9
	# the first run, stopped once large.bin is being written
	"$X" copy "$WORK/int.raw" /chat "$D" --manifest "$M" \
		--no-progress >"$WORK/int1.out" 2>"$WORK/int1.err" 9>&- &
	local pid=$! i
	for i in $(seq 1200); do
		[ -n "$(find "$D" -name '.lifeboat-tmp.*' -size +1M 2>/dev/null)" ] && break
		sleep 0.1
	done
	LEFT_DURING=$(find "$D" -name '.lifeboat-tmp.*' 2>/dev/null | wc -l)
	kill -INT "$pid"
	wait "$pid"
	INT_RC=$?
	AFTER_INT=$(cd "$D" 2>/dev/null && find . | sort)
	PARTIAL_AFTER_INT=$([ -f "$M.partial" ] && echo yes)
	FINAL_AFTER_INT=$([ -e "$M" ] && echo yes)
	"$X" copy "$WORK/int.raw" /chat "$D" --manifest "$M" \
		--no-progress >"$WORK/int2.out" 2>"$WORK/int2.err" 9>&-
	RERUN_RC=$?
	flock -u 9
	exec 9>&-
}

t_interrupted_leaves_nothing_wrong() {
	RC=$INT_RC ERR=$(cat "$WORK/int1.err")
	[ "$LEFT_DURING" -ge 1 ] || fail "never saw large.bin being written"
	expect_rc 130
	expect_err 'interrupted'
	! grep -q 'large.bin' <<<"$AFTER_INT" || fail "large.bin has its final name: $AFTER_INT"
	! grep -q 'lifeboat-tmp' <<<"$AFTER_INT" || fail "a temporary file was left: $AFTER_INT"
	expect_eq "$PARTIAL_AFTER_INT" yes
	expect_eq "$FINAL_AFTER_INT" ""
}

t_rerun_repairs() {
	RC=$RERUN_RC ERR=$(cat "$WORK/int2.err")
	expect_rc 0
	cmp "$WORK/itree/chat/large.bin" "$D/chat/large.bin" || fail "large.bin differs"
	[ -f "$M" ] || fail "no final manifest"
	[ ! -e "$M.partial" ] || fail "the partial manifest is left"
	run "$X" verify "$D" "$M"
	expect_rc 0
}
