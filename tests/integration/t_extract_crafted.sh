# t_extract_crafted.sh - an image with impossible directory entries (names
# patched to ".", ".." and a path with "/") beside files that are mostly
# holes: the copy goes on past what cannot be read (and a PATH that is not
# there), reports it, keeps the
# holes out of the stream, and honours --exclude for those files too. One
# appliance launch.

setup_file() {
	export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
	X=$LIFEBOAT_BIN/lifeboat-extract
	local t=$WORK/crafted-tree n
	mkdir -p "$t/data/bad" "$t/data/big" "$t/data/keep" "$t/data/ok" || return 1
	for n in XDOTXXXXXX XDOTDOTXXX XSLASHXXXX; do echo "$n" >"$t/data/bad/$n"; done
	echo fine >"$t/data/ok/fine.txt"
	/usr/bin/python3 -c '
import sys
f = open(sys.argv[1] + "/data/big/huge.db", "wb"); f.seek(32 << 20); f.write(b"D" * 4096)
f.seek((10 << 30) - 4096); f.write(b"E" * 4096); f.close()
f = open(sys.argv[1] + "/data/keep/holes.db", "wb"); f.seek(1 << 30); f.write(b"K" * 4096)
f.truncate(4 << 30); f.close()
' "$t" || return 1
	# no metadata_csum: the kernel then reads the patched entries as they are
	mke2fs -q -F -t ext4 -O ^metadata_csum -d "$t" "$WORK/crafted.raw" 64M >/dev/null || return 1
	/usr/bin/python3 -c '
import mmap, sys
f = open(sys.argv[1], "r+b"); m = mmap.mmap(f.fileno(), 0)
def patch(name, new):
    i = m.find(name)
    while i >= 0:
        if m[i - 2] == len(name):      # a directory entry: name_len before the type
            m[i - 2] = len(new); m[i:i + len(new)] = new
        i = m.find(name, i + 1)
patch(b"XDOTXXXXXX", b".")
patch(b"XDOTDOTXXX", b"..")
patch(b"XSLASHXXXX", b"a/b/c/XXXX")
m.flush()
' "$WORK/crafted.raw" || return 1
	debugfs -R 'ls /data/bad' "$WORK/crafted.raw" 2>/dev/null | grep -q 'a/b/c/XXXX' || return 1
	# timed once the lock is held: waiting for other appliances is not ours
	flock /tmp/lifeboat-appliance.lock bash -c 's=$SECONDS; "$@"; rc=$?; echo $((SECONDS - s)) >"$WORK/crafted.secs"; exit $rc' _ \
		"$X" copy "$WORK/crafted.raw" /nowhere /data "$WORK/cdest" --exclude big \
		--manifest "$WORK/crafted.manifest" --json --no-progress >"$WORK/crafted.out" 2>"$WORK/crafted.err"
	CRAFTED_RC=$?
	CRAFTED_SECS=$(cat "$WORK/crafted.secs")
}

t_bounded_by_the_data() {
	# the launch and a few MiB; the 14 GiB of holes must not travel
	[ "$CRAFTED_SECS" -lt 240 ] || fail "took $CRAFTED_SECS s"
	OUT=$(cat "$WORK/crafted.out")
	local bytes; bytes=$(json_get 'd["bytes"]')
	[ "$bytes" -lt $((1 << 20)) ] || fail "$bytes bytes came through the appliance"
}

t_goes_on_past_impossible_entries_and_reports() {
	OUT=$(cat "$WORK/crafted.out") ERR=$(cat "$WORK/crafted.err") RC=$CRAFTED_RC
	# tar went on past the directory it could not read, and said so
	# at the end: the rest is complete, the copy partial
	expect_rc 7
	expect_eq "$(cat "$WORK/cdest/data/ok/fine.txt")" fine
	# a PATH not in the image stops nothing, and is reported
	expect_eq "$(json_get '[p["kind"] for p in d["not_copied"] if p["path"] == "/nowhere"]')" "['source']"
	[ "$(json_get 'len(d["not_copied"])')" -ge 1 ] || fail "nothing reported"
	[ ! -e "$WORK/crafted.manifest" ] || fail "a final manifest for a partial copy"
	[ -f "$WORK/crafted.manifest.partial" ] || fail "no partial manifest"
}

t_sparse_path_works_beside_them() {
	local f=$WORK/cdest/data/keep/holes.db
	expect_eq "$(stat -c %s "$f")" $((4 << 30))
	[ "$(stat -c %b "$f")" -le 64 ] || fail "holes filled: $(stat -c %b "$f") blocks"
	expect_eq "$(dd if="$f" bs=4096 skip=$(((1 << 30) / 4096)) count=1 status=none | tr -d K | wc -c)" 0
}

t_exclude_keeps_out_the_sparse_file() {
	[ ! -e "$WORK/cdest/data/big" ] || fail "the excluded directory was made"
	! grep -q 'huge.db' "$WORK/crafted.manifest.partial" || fail "huge.db in the manifest"
}
