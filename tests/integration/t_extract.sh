# t_extract.sh - lifeboat-extract on images the test builds: a hostile
# tree copied out once (with the default reader, native here; with the
# appliance in t_extract_appliance.sh), then attacks that must be refused
# before any reader starts

setup_file() {
	export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
	# a directory of its own: t_extract_appliance.sh runs this file again
	WORK=$WORK/hostile-${EXTRACT_READER:-auto}
	mkdir -p "$WORK"
	IMG=$WORK/hostile.qcow2
	/usr/bin/python3 "$TOP/tests/images/hostile-tree.py" "$WORK/tree" || return 1
	mke2fs -q -F -t ext4 -d "$WORK/tree" -L hostile "$WORK/hostile.raw" 256M >/dev/null || return 1
	qemu-img convert -O qcow2 "$WORK/hostile.raw" "$IMG" || return 1
	SUM_BEFORE=$(sha256sum <"$IMG")
	X=$LIFEBOAT_BIN/lifeboat-extract
	# the same suite for each reader (t_extract_appliance.sh sets it)
	if [ -n "${EXTRACT_READER:-}" ]; then
		# (verify reads DEST, not the image: it takes no reader)
		printf '#!/bin/sh\n[ "$1" = verify ] && exec "%s" "$@"\nexec "%s" --reader=%s "$@"\n' \
			"$X" "$X" "$EXTRACT_READER" >"$WORK/x-reader"
		chmod +x "$WORK/x-reader"
		X=$WORK/x-reader
	fi
	# the one launch: everything below reads its results
	flock /tmp/lifeboat-appliance.lock "$X" copy "$IMG" /var/lib/chat "/var/lib/chat/it's all holes" "$WORK/dest" --manifest "$WORK/manifest" --no-progress --json \
		>"$WORK/copy.out" 2>"$WORK/copy.err"
	COPY_RC=$?
	SUM_AFTER=$(sha256sum <"$IMG")
	D=$WORK/dest/chat
}

t_copy_reports_only_the_specials() {
	OUT=$(cat "$WORK/copy.out") ERR=$(cat "$WORK/copy.err") RC=$COPY_RC
	# skipped by policy: reported, and no failure
	expect_rc 0
	expect_err '2 entries not copied as they are \(2 skipped by policy\)'
	expect_eq "$(json_get 'sorted((p["path"], p["kind"]) for p in d["not_copied"])')" \
		"[('chat/dev/fifo', 'skipped'), ('chat/dev/mem', 'skipped')]"
	expect_eq "$(json_get 'd["exit_status"]')" 0
	[ -f "$WORK/manifest" ] || fail "no final manifest"
	[ ! -e "$WORK/manifest.partial" ] || fail "a partial manifest is left"
	expect_err 'chat/dev/mem: character device skipped \(see --specials\)'
	expect_err 'chat/dev/fifo: FIFO skipped \(see --specials\)'
	[ ! -e "$D/dev/mem" ] || fail "device node created on the host"
}

t_image_never_written() {
	expect_eq "$SUM_AFTER" "$SUM_BEFORE"
}

t_files_are_exact() {
	local f
	for f in icons/user0.png icons/user29.png emoji/party7.gif README; do
		cmp "$WORK/tree/var/lib/chat/$f" "$D/$f" || fail "$f differs"
	done
	expect_eq "$(stat -c %Y "$D/README")" "$(stat -c %Y "$WORK/tree/var/lib/chat/README")"
	expect_eq "$(getfattr --only-values -n user.origin "$D/README" 2>/dev/null)" chat-01
	expect_eq "$(stat -c %i "$D/README")" "$(stat -c %i "$D/README.hardlink")"
}

t_odd_names_survive() {
	[ -f "$D/$(printf 'n%.0s' $(seq 255))" ] || fail "255-byte name"
	[ -f "$D/line"$'\n'"break" ] || fail "newline name"
	[ -f "$D/latin1-"$'\xe9'"t"$'\xe9' ] || fail "non-UTF-8 name"
}

t_symlinks_recreated_never_followed() {
	expect_eq "$(readlink "$D/links/abs")" /etc/shadow
	expect_eq "$(readlink "$D/links/up")" ../../../../../../etc
	expect_eq "$(readlink "$D/links/loop-a")" loop-b
	expect_eq "$(readlink "$D/links/rootdir")" /
	# (entries that try to write through a symlink come only from crafted
	# tar streams: tests/unit/test_writer.c feeds the writer those)
}

t_sparse_stays_sparse() {
	expect_eq "$(stat -c %s "$D/sparse.db")" $((10 << 30))
	[ "$(stat -c %b "$D/sparse.db")" -le 64 ] || fail "sparse file filled: $(stat -c %b "$D/sparse.db") blocks"
	# few enough blocks that only the two data blocks can be other than holes
	expect_eq "$(tail -c 4096 "$D/sparse.db" | tr -d E | wc -c)" 0
	expect_eq "$(dd if="$D/sparse.db" bs=4096 skip=8192 count=1 status=none | tr -d D | wc -c)" 0
	expect_eq "$(getfattr --only-values -n user.kind "$D/sparse.db" 2>/dev/null)" sparse
	expect_eq "$(stat -c %s:%b "$D/it's all holes")" $((4 << 20)):0
	# named on its own, not inside a tree
	expect_eq "$(stat -c %s:%b "$WORK/dest/it's all holes")" $((4 << 20)):0
}

t_holes_never_travel() {
	# 10 GiB of holes: only the files' data may have come through the
	# appliance (the zeros of a hole would be counted here)
	OUT=$(cat "$WORK/copy.out")
	local bytes; bytes=$(json_get 'd["bytes"]')
	[ "$bytes" -lt $((1 << 20)) ] || fail "$bytes bytes came through the appliance"
}

t_depth_is_no_limit() {
	local n
	n=$(cd "$D/deep" && find . -name bottom.txt | wc -l)
	expect_eq "$n" 1
	n=$(cd "$D/deep" && find . -type d | wc -l)
	expect_eq "$n" 201
}

t_manifest_is_exact_and_verify_uses_it() {
	local entries
	entries=$(wc -l <"$WORK/manifest")
	# every entry of the tree but the two specials, plus the root dir,
	# plus the file of holes named on its own
	expect_eq "$entries" "$(( $(cd "$WORK/tree/var/lib/chat" && find . -print0 | tr -cd '\0' | wc -c) - 1 ))"
	local sum
	sum=$(sha256sum <"$WORK/tree/var/lib/chat/icons/user0.png" | cut -d' ' -f1)
	grep -q "^f 0644 0 0 2000 [0-9.]* $sum chat/icons/user0.png\$" "$WORK/manifest" || fail "user0 line"
	grep -q 'chat/line\\x0abreak$' "$WORK/manifest" || fail "newline escaped"
	run "$X" verify "$WORK/dest" "$WORK/manifest"
	expect_rc 0
	expect_out "^$entries entries checked, 0 differ$"
	grep -qF " it's\\x20all\\x20holes" "$WORK/manifest" || fail "the file named on its own is not in the manifest"
	local icon=$D/icons/user0.png
	cp -p "$icon" "$WORK/icon.bak"
	flip_byte "$icon" 10
	touch -d @"$(stat -c %Y "$WORK/icon.bak")" "$icon"
	run "$X" verify "$WORK/dest" "$WORK/manifest"
	cp -p "$WORK/icon.bak" "$icon"
	expect_rc 8
	expect_out '^chat/icons/user0.png: content differs \(sha256\)$'
	flip_byte "$icon" 10
	run "$X" verify "$WORK/dest" "$WORK/manifest" --json
	cp -p "$WORK/icon.bak" "$icon"
	expect_rc 8
	expect_eq "$(json_get '[d["differ"], d["differences"][0]["path"]]')" "[1, 'chat/icons/user0.png']"
}

# ---- refused before any appliance starts ------------------------------------

t_backing_file_attack_refused() {
	qemu-img create -q -f qcow2 -b /etc/shadow -F raw "$WORK/evil.qcow2" 1M
	local start=$SECONDS
	run "$X" ls "$WORK/evil.qcow2" /
	expect_rc 3
	expect_err "backing file '/etc/shadow': opening it would read that file on this host; refused"
	run "$X" ls "$WORK/evil.qcow2" / --allow-backing
	expect_rc 3
	expect_err 'does not resolve inside the image.s directory'
	[ $((SECONDS - start)) -lt 3 ] || fail "an appliance was started"
}

t_truncated_qcow2_refused() {
	head -c 200000 "$IMG" >"$WORK/truncated.qcow2"
	run "$X" filesystems "$WORK/truncated.qcow2"
	expect_rc 4
	expect_err 'truncated qcow2'
}

t_not_an_image() {
	run "$X" ls "$WORK/nope.qcow2"
	expect_rc 4
	expect_err "^lifeboat-extract: '$WORK/nope.qcow2': No such file or directory$"
	run "$X" copy "$IMG" /x
	expect_rc 2
}

t_format_forced_wrongly() {
	run "$X" ls "$WORK/hostile.raw" / --format qcow2
	expect_rc 4
	expect_err 'has no qcow2 header'
}
