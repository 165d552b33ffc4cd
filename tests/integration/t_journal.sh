# t_journal.sh - the native journal replay against the real thing: three filesystems left
# dirty by a crash (tests/images/dirty-journal.sh, one appliance run), replayed by
# journal_replay() into a copy (journal-apply), compared block by block with e2fsck's
# replay and file by file with what the kernel shows (the appliance's read-only mount,
# which replays into its overlay: a second appliance run)
# lane: appliance

FSES="ext4 ext4j ext3"

# shellcheck source=../images/appliance-lock.sh
. "$TOP/tests/images/appliance-lock.sh"

setup_file() {
	export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
	J=$WORK/journal
	APPLY=$LIFEBOAT_BIN/tests/journal-apply
	[ -x "$APPLY" ] || { echo "no $APPLY (make builds it with integration)"; return 1; }
	from_cache dirty-journal "$J" "$TOP/tests/images/dirty-journal.sh" @OUT@ >"$WORK/images.log" 2>&1 ||
		{ cat "$WORK/images.log"; return 1; }
	local f
	for f in $FSES; do
		sha256sum <"$J/$f.raw" >"$J/$f.sum"
		cp --sparse=always "$J/$f.raw" "$J/$f.ours"
		cp --sparse=always "$J/$f.raw" "$J/$f.fsck"
		"$APPLY" "$J/$f.raw" "$J/$f.ours" >"$J/$f.apply" 2>&1 || { cat "$J/$f.apply"; return 1; }
		e2fsck -y -E journal_only "$J/$f.fsck" >"$J/$f.fsck.log" 2>&1
		[ $? -le 1 ] || { cat "$J/$f.fsck.log"; return 1; }
		mkdir -p "$J/$f.tree.ours" "$J/$f.tree.stale"
		debugfs -R "rdump / $J/$f.tree.ours" "$J/$f.ours" >/dev/null 2>&1
		debugfs -R "rdump / $J/$f.tree.stale" "$J/$f.raw" >/dev/null 2>&1
	done
	# what the kernel shows: a read-only mount replays into the appliance's overlay
	{
		echo "add-drive $J/ext4.raw readonly:true format:raw"
		echo "add-drive $J/ext4j.raw readonly:true format:raw"
		echo "add-drive $J/ext3.raw readonly:true format:raw"
		echo "run"
		local dev=a
		for f in $FSES; do
			echo "mount-ro /dev/sd$dev /"
			echo "tar-out / $J/$f.kernel.tar numericowner:true"
			echo "umount /"
			dev=$(echo "$dev" | tr ab bc)
		done
	} >"$J/ro.gf"
	with_appliance_lock guestfish <"$J/ro.gf" >"$J/ro.log" 2>&1 || { cat "$J/ro.log"; return 1; }
	for f in $FSES; do
		mkdir -p "$J/$f.tree.kernel"
		tar -C "$J/$f.tree.kernel" --numeric-owner -xpf "$J/$f.kernel.tar" || return 1
	done
}

# manifest DIR - one line per entry: path, type, mode, owner, size, content or target, and
# the mtime of regular files (extraction order changes a directory's; debugfs cannot set a
# symlink's)
manifest() {
	/usr/bin/python3 - "$1" <<'PY'
import hashlib, os, stat, sys
top = sys.argv[1]
for d, dirs, files in os.walk(top):
    dirs.sort()
    for n in sorted(dirs + files):
        p = os.path.join(d, n)
        st = os.lstat(p)
        rel = os.path.relpath(p, top)
        if stat.S_ISLNK(st.st_mode):
            what = "l " + os.readlink(p)
        elif stat.S_ISREG(st.st_mode):
            with open(p, "rb") as f:
                what = "f %d %s" % (st.st_size, hashlib.sha256(f.read()).hexdigest())
        elif stat.S_ISDIR(st.st_mode):
            what = "d"
        else:
            what = "o %o" % stat.S_IFMT(st.st_mode)
        t = " %d" % int(st.st_mtime) if stat.S_ISREG(st.st_mode) else ""
        print("%r %s %o %d:%d%s" % (rel, what, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, t))
PY
}

# diff_blocks A B BS [EXCLUDED...] - the numbers of the blocks where A and B differ, less
# the excluded ones
diff_blocks() {
	/usr/bin/python3 - "$@" <<'PY'
import sys
a, b, bs = sys.argv[1], sys.argv[2], int(sys.argv[3])
skip = set(int(x) for x in sys.argv[4:])
with open(a, "rb") as fa, open(b, "rb") as fb:
    n = 0
    while True:
        x, y = fa.read(bs), fb.read(bs)
        if not x and not y:
            break
        if x != y and n not in skip:
            print(n)
        n += 1
PY
}

# the blocks e2fsck's replay may change besides the replayed ones: the block holding the
# primary superblock (needs_recovery cleared) and the journal's superblock (log emptied)
excluded() {
	local f=$1
	echo $((1024 / $(block_size "$f")))
	debugfs -R 'blocks <8>' "$J/$f.raw" 2>/dev/null | awk '{ print $1 }'
}

block_size() { dumpe2fs -h "$J/$1.raw" 2>/dev/null | awk '/^Block size:/ { print $3 }'; }

t_images_need_recovery() {
	local f
	for f in $FSES; do
		dumpe2fs -h "$J/$f.raw" 2>/dev/null | grep -q '^Filesystem features:.*needs_recovery' ||
			fail "$f: needs_recovery is not set"
	done
}

t_journal_features_as_built() {
	dumpe2fs -h "$J/ext4.raw" 2>/dev/null | grep -q '^Journal features:.*journal_64bit.*journal_checksum_v3' ||
		fail "ext4: not 64-bit tags with checksum v3"
	dumpe2fs -h "$J/ext4j.raw" 2>/dev/null | grep -q '^Journal features:.*journal_checksum journal_64bit' ||
		fail "ext4j: not checksum v1 with 64-bit tags"
	dumpe2fs -h "$J/ext3.raw" 2>/dev/null | grep -q '^Journal features:.*(none)' ||
		fail "ext3: journal features are not plain"
	# data=journal put the magic-led blocks in the log escaped, and its writes outgrew the
	# journal: the live log wraps past its end
	debugfs -R 'logdump -a' "$J/ext4j.raw" 2>/dev/null | grep -q '(flags 0x[0-9a-f]*[13579bdf])' ||
		fail "ext4j: no escaped block in the journal"
	debugfs -R 'logdump' "$J/ext4j.raw" 2>/dev/null |
		awk '/^Found expected/ { b = $NF + 0; if (b < last) w = 1; last = b } END { exit !w }' ||
		fail "ext4j: the live log does not wrap"
	# freed metadata: revoke records
	local f
	for f in ext4 ext3; do
		debugfs -R 'logdump -a' "$J/$f.raw" 2>/dev/null | grep -q 'Revoke FS block' ||
			fail "$f: no revoke record in the journal"
	done
}

# revoke_matters F - exit 0 when the newest journaled copy of some block of F is revoked (a
# revoke in its transaction or a later one) and the replayed image holds something else
# there: a replay that ignored revokes would get that block wrong
revoke_matters() {
	/usr/bin/python3 - "$J/$1.raw" "$J/$1.fsck" "$(block_size "$1")" <<'PY'
import re, subprocess, sys
raw, fsck, bs = sys.argv[1], sys.argv[2], int(sys.argv[3])
def debugfs(req):
    return subprocess.run(["debugfs", "-R", req, raw], capture_output=True, text=True).stdout
seq, last, revoked = None, {}, {}
for line in debugfs("logdump -a").splitlines():
    m = re.search(r"Found expected sequence (\d+)", line)
    if m:
        seq = int(m[1])
    m = re.search(r"FS block (\d+) logged at journal block (\d+)", line)
    if m:
        last[int(m[1])] = (seq, int(m[2]))
    m = re.search(r"Revoke FS block (\d+)", line)
    if m:
        revoked[int(m[1])] = max(seq, revoked.get(int(m[1]), seq))
def block(path, n):
    with open(path, "rb") as f:
        f.seek(n * bs)
        return f.read(bs)
for n, (s, jblk) in sorted(last.items()):
    if n in revoked and s <= revoked[n]:
        phys = int(debugfs("bmap <8> %d" % jblk).split()[-1])
        if block(raw, phys) != block(fsck, n):
            print("block %d: its copy at journal block %d is revoked" % (n, jblk))
            sys.exit(0)
sys.exit(1)
PY
}

t_revokes_matter() {
	local f
	for f in ext4 ext3; do
		revoke_matters $f >/dev/null || fail "$f: no revoke changes the replay: revokes go untested"
	done
}

t_image_never_written() {
	local f
	for f in $FSES; do
		expect_eq "$(sha256sum <"$J/$f.raw")" "$(cat "$J/$f.sum")"
	done
}

t_replay_is_not_empty() {
	local f
	for f in $FSES; do
		grep -qE '^replay: [1-9][0-9]* blocks' "$J/$f.apply" || fail "$f: $(cat "$J/$f.apply")"
	done
}

t_blocks_equal_e2fsck_replay() {
	local f bad
	for f in $FSES; do
		# shellcheck disable=SC2046
		bad=$(diff_blocks "$J/$f.ours" "$J/$f.fsck" "$(block_size $f)" $(excluded $f))
		[ -z "$bad" ] || fail "$f: blocks differ from e2fsck's replay: $(echo $bad | head -c 200)"
	done
}

t_stale_image_differs_from_replay() {
	local f bad
	for f in $FSES; do
		# shellcheck disable=SC2046
		bad=$(diff_blocks "$J/$f.raw" "$J/$f.fsck" "$(block_size $f)" $(excluded $f))
		[ -n "$bad" ] || fail "$f: the replay changed no block outside the journal: a useless image"
	done
}

t_tree_equals_kernel_mount() {
	local f
	for f in $FSES; do
		manifest "$J/$f.tree.ours" >"$J/$f.m.ours"
		manifest "$J/$f.tree.kernel" >"$J/$f.m.kernel"
		diff -u "$J/$f.m.kernel" "$J/$f.m.ours" >"$J/$f.m.diff" ||
			fail "$f: the replayed tree differs from the kernel's: $(head -c 600 "$J/$f.m.diff")"
	done
}

t_debugfs_without_replay_sees_a_stale_tree() {
	local f
	for f in $FSES; do
		manifest "$J/$f.tree.stale" >"$J/$f.m.stale"
		manifest "$J/$f.tree.kernel" >"$J/$f.m.kernel"
		! cmp -s "$J/$f.m.stale" "$J/$f.m.kernel" || fail "$f: debugfs sees the replayed tree already"
		# the last changes exist only in the journal (ext4j's early ones were checkpointed
		# home when its writes outgrew the journal)
		local last=new/hello.txt text="hello after the crash"
		[ $f = ext4j ] && last=new/last.txt text="written last"
		[ ! -e "$J/$f.tree.stale/$last" ] || fail "$f: $last is home already"
		expect_eq "$(cat "$J/$f.tree.ours/$last")" "$text"
	done
	cmp -s "$J/ext4j.tree.ours/new/escape.bin" "$J/ext4j.tree.kernel/new/escape.bin" ||
		fail "ext4j: escape.bin differs"
}
