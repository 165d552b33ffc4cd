#!/bin/sh
# lvm-xfs.sh OUT.qcow2 - a data disk, compressed qcow2: GPT, an ext4 partition
# with notes, and an LVM volume group whose one logical volume holds XFS
# with chat icons. LVM and XFS need the appliance: one guestfish run.
set -eu
out=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/data/chat/icons" "$tmp/notes"
i=0
while [ $i -lt 10 ]; do
	head -c $((3000 + i * 70)) /dev/urandom >"$tmp/data/chat/icons/e$i.png"
	i=$((i + 1))
done
printf 'ops notes\n' >"$tmp/notes/todo.txt"
tar -C "$tmp/data" -cf "$tmp/data.tar" .
tar -C "$tmp/notes" -cf "$tmp/notes.tar" .
# mkfs.xfs wants at least 300 MB
guestfish -N "$tmp/disk.raw=disk:512M" <<GF
part-init /dev/sda gpt
part-add /dev/sda p 2048 133119
part-add /dev/sda p 133120 -2048
mkfs ext4 /dev/sda1 label:notes
pvcreate /dev/sda2
vgcreate vg0 /dev/sda2
lvcreate-free lv0 vg0 100
mkfs xfs /dev/vg0/lv0 label:chatxfs
mount /dev/vg0/lv0 /
tar-in $tmp/data.tar /
umount /
mount /dev/sda1 /
tar-in $tmp/notes.tar /
GF
# the tree the test compares against
rm -rf "$out.tree"
cp -a "$tmp/data" "$out.tree"
qemu-img convert -c -O qcow2 "$tmp/disk.raw" "$out"
