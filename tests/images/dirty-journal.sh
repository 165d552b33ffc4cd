#!/usr/bin/env bash
# dirty-journal.sh OUTDIR - three raw filesystems left as a crashed server leaves them:
# committed metadata in the journal, not yet at home, needs_recovery set.
#   ext4.raw   ext4 defaults (64bit, metadata_csum: 64-bit tags, journal checksum v3),
#              data=ordered, nodelalloc (file data goes home at each commit)
#   ext4j.raw  ext4 without metadata_csum, data=journal,journal_checksum (checksum v1 on
#              the commit blocks), file data in the journal, blocks that begin with the
#              jbd2 magic (escaped), journaled data freed again (revoked), more writes than
#              the journal holds (it wraps)
#   ext3.raw   ext3, 1 KiB blocks, no 64bit: 32-bit tags without checksums
# One guestfish session mounts all three, changes them, lets commits happen with writeback
# disabled, then crashes the appliance (sysrq b), so nothing is checkpointed home. A sync
# before the crash would write everything home and make the images useless.
set -euo pipefail
out=$1
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
export E2FSPROGS_FAKE_TIME=1700000000 SOURCE_DATE_EPOCH=1700000000

# shellcheck source=appliance-lock.sh
. "$(dirname "$0")/appliance-lock.sh"

# the tree each filesystem starts with
src=$tmp/src
mkdir -p "$src/etc" "$src/home/user" "$src/data/keep" "$src/data/old" "$src/var/log"
printf 'rescue-me\n' >"$src/etc/hostname"
printf 'notes before the crash\n' >"$src/home/user/notes.txt"
head -c 20000 /dev/urandom >"$src/var/log/app.log"
for i in 1 2 3 4 5; do head -c $((4096 * i + 100)) /dev/urandom >"$src/data/keep/f$i.bin"; done
for i in $(seq 1 300); do printf 'old %d\n' "$i" >"$src/data/old/file-with-a-long-name-$i.txt"; done
chmod 0644 "$src/data/keep/"*

mke2fs -q -F -t ext4 -b 4096 -L dj-ext4 -d "$src" "$out/ext4.raw" 64M >/dev/null
mke2fs -q -F -t ext4 -b 4096 -O ^metadata_csum -L dj-ext4j -d "$src" "$out/ext4j.raw" 64M >/dev/null
mke2fs -q -F -t ext3 -b 1024 -L dj-ext3 -d "$src" "$out/ext3.raw" 32M >/dev/null

# files to upload: one whose every 4 KiB block starts with the jbd2 magic, and one larger
# than ext4j's 4 MiB journal
python3 - "$tmp" <<'PY'
import os, sys
d = sys.argv[1]
with open(os.path.join(d, "escape.bin"), "wb") as f:
    for i in range(16):
        f.write(b"\xc0\x3b\x39\x98" + os.urandom(4092))
with open(os.path.join(d, "big.bin"), "wb") as f:
    f.write(os.urandom(6 << 20))
with open(os.path.join(d, "tail.bin"), "wb") as f:
    f.write(os.urandom(2 << 20))
with open(os.path.join(d, "blob.bin"), "wb") as f:
    f.write(os.urandom(300000))
PY

# workload P: the same changes under mount point P
workload() {
	local p=$1
	cat <<GF
mkdir-p $p/new/deep/er
write $p/new/hello.txt "hello after the crash"
upload $tmp/blob.bin $p/new/blob.bin
mv $p/home/user/notes.txt $p/new/notes-moved.txt
chmod 0600 $p/data/keep/f1.bin
ln-s ../etc/hostname $p/new/link
write $p/data/keep/f2.bin "overwritten"
rm-rf $p/data/old
debug sh "sleep 2"
mkdir $p/data/old2
GF
	local i
	for i in $(seq 1 200); do echo "touch $p/data/old2/new-file-with-a-long-name-$i"; done
	echo "rm $p/data/keep/f3.bin"
}

{
	echo "add-drive $out/ext4.raw format:raw"
	echo "add-drive $out/ext4j.raw format:raw"
	echo "add-drive $out/ext3.raw format:raw"
	echo "run"
	echo 'debug sh "echo 0 > /proc/sys/vm/dirty_writeback_centisecs; echo 360000 > /proc/sys/vm/dirty_expire_centisecs"'
	echo 'mount-options "commit=1,nodelalloc" /dev/sda /'
	echo "mkdir /j"
	echo "mkdir /e3"
	echo 'mount-options "commit=1,data=journal,journal_checksum" /dev/sdb /j'
	echo 'mount-options "commit=1" /dev/sdc /e3'
	workload ""
	workload /j
	workload /e3
	echo "upload $tmp/escape.bin /j/new/escape.bin"
	echo "upload $tmp/big.bin /j/new/big.bin"
	# journaled data freed again: its blocks are revoked
	echo "upload $tmp/blob.bin /j/new/victim.bin"
	echo 'debug sh "sleep 2"'
	echo "rm /j/new/victim.bin"
	echo 'debug sh "sleep 2"'
	echo "upload $tmp/escape.bin /j/new/escape-after-wrap.bin"
	echo "upload $tmp/tail.bin /j/new/tail.bin"
	echo "write /j/new/last.txt \"written last\""
	echo 'debug sh "sleep 4"'
	echo 'debug sh "echo b > /proc/sysrq-trigger"'
} >"$tmp/session.gf"

# the crash ends the session with an error: expected; the checks below decide
with_appliance_lock guestfish <"$tmp/session.gf" >"$tmp/gf.log" 2>&1 || true
for f in ext4 ext4j ext3; do
	if ! dumpe2fs -h "$out/$f.raw" 2>/dev/null | grep -q '^Filesystem features:.*needs_recovery'; then
		echo "dirty-journal: $f.raw does not need recovery; guestfish said:" >&2
		cat "$tmp/gf.log" >&2
		exit 1
	fi
done
