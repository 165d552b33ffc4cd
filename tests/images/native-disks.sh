#!/bin/sh
# native-disks.sh OUTDIR GROW_DIR - the disks the native reader is compared on, built
# with mke2fs -d (no appliance):
#   gpt.raw      GPT, one ext4 (defaults) with every kind of entry in /t4
#                and a 50,000-entry htree in /big/htree (e2fsck -D indexes
#                it; apart, as the appliance takes minutes to copy it under
#                TCG and the test has its order from debugfs); gpt.qcow2 the same
#   mbr.qcow2    compressed qcow2, MBR: p1 ext4 with inline_data, an extended
#                partition with p5 ext3 (block maps, no extents) and p6 ext2
# OUTDIR/src.* keep the trees.
set -eu
out=$1
grow=$2   # build/.../tests/grow-dir
mkdir -p "$out"
here=$(cd "$(dirname "$0")" && pwd)
export E2FSPROGS_FAKE_TIME=1700000000 SOURCE_DATE_EPOCH=1700000000
tmp=$(mktemp -d "$out/build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
rm -rf "$out/src.full" "$out/src.inline" "$out/src.old" "$out/src.ext2"
/usr/bin/python3 "$here/native-tree.py" "$out/src.full/t4" full
mkdir "$out/src.full/big" && mv "$out/src.full/t4/htree" "$out/src.full/big/htree"
/usr/bin/python3 "$here/native-tree.py" "$out/src.inline/i4" inline
/usr/bin/python3 "$here/native-tree.py" "$out/src.old/t3" old
mkdir -p "$out/src.ext2/t2"
printf 'ext2, no journal\n' >"$out/src.ext2/t2/readme"

# put FS (a file) into DISK at START bytes
place() { dd if="$1" of="$2" bs=1M seek=$(($3 >> 20)) conv=notrunc,sparse status=none; }

# ---- GPT, raw and qcow2 ----
mke2fs -q -F -t ext4 -L full -d "$out/src.full" "$tmp/full.fs" 400M
e2fsck -fyD "$tmp/full.fs" >/dev/null 2>&1 || [ $? -le 1 ]
# an indexed directory keeps its htree as it grows to 50,000 entries
"$grow" "$tmp/full.fs" /big/htree 49690 >/dev/null
e2fsck -fy "$tmp/full.fs" >/dev/null 2>&1 || [ $? -le 1 ]
truncate -s 402M "$out/gpt.raw"
sgdisk -Z -n 1:2048:+400M -t 1:8300 "$out/gpt.raw" >/dev/null
place "$tmp/full.fs" "$out/gpt.raw" $((2048 * 512))
qemu-img convert -O qcow2 "$out/gpt.raw" "$out/gpt.qcow2"

# ---- MBR with logical partitions, compressed qcow2 ----
mke2fs -q -F -t ext4 -O inline_data -L inline -d "$out/src.inline" "$tmp/inline.fs" 32M
mke2fs -q -F -t ext3 -b 1024 -L old -d "$out/src.old" "$tmp/old.fs" 64M
mke2fs -q -F -t ext2 -L plain -d "$out/src.ext2" "$tmp/ext2.fs" 8M
truncate -s 120M "$tmp/mbr.raw"
sfdisk -q "$tmp/mbr.raw" <<SF
label: dos
start=2048, size=65536, type=83
start=67584, type=5
start=69632, size=131072, type=83
start=202752, size=16384, type=83
SF
place "$tmp/inline.fs" "$tmp/mbr.raw" $((2048 * 512))
place "$tmp/old.fs" "$tmp/mbr.raw" $((69632 * 512))
place "$tmp/ext2.fs" "$tmp/mbr.raw" $((202752 * 512))
qemu-img convert -c -O qcow2 "$tmp/mbr.raw" "$out/mbr.qcow2"
