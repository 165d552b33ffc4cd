#!/bin/sh
# lvm-xfs.sh OUT.qcow2 - a data disk, compressed qcow2 with an MBR: an ext4
# partition with notes, an LVM volume group whose one logical volume holds
# XFS with chat icons, and a btrfs partition with uploads. LVM, XFS and
# btrfs need the appliance: one guestfish run. OUT.tree keeps the icons'
# tree to compare against.
set -eu
out=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/data/chat/icons" "$tmp/notes" "$tmp/uploads/emoji"
i=0
while [ $i -lt 10 ]; do
	head -c $((3000 + i * 70)) /dev/urandom >"$tmp/data/chat/icons/e$i.png"
	head -c $((500 + i)) /dev/urandom >"$tmp/uploads/emoji/party$i.gif"
	i=$((i + 1))
done
printf 'ops notes\n' >"$tmp/notes/todo.txt"
for t in data notes uploads; do tar -C "$tmp/$t" -cf "$tmp/$t.tar" .; done
# mkfs.xfs wants at least 300 MB, mkfs.btrfs about 110 MB
guestfish -N "$tmp/disk.raw=disk:800M" <<GF
part-init /dev/sda mbr
part-add /dev/sda p 2048 133119
part-add /dev/sda p 133120 1157119
part-add /dev/sda p 1157120 -2048
mkfs ext4 /dev/sda1 label:notes
pvcreate /dev/sda2
vgcreate vg0 /dev/sda2
lvcreate-free lv0 vg0 100
mkfs xfs /dev/vg0/lv0 label:chatxfs
mkfs btrfs /dev/sda3 label:uploads
mount /dev/vg0/lv0 /
tar-in $tmp/data.tar /
umount /
mount /dev/sda1 /
tar-in $tmp/notes.tar /
umount /
mount /dev/sda3 /
tar-in $tmp/uploads.tar /
GF
rm -rf "$out.tree"
mkdir -p "$out.tree"
cp -a "$tmp/data/chat" "$tmp/uploads/emoji" "$out.tree/"
qemu-img convert -c -O qcow2 "$tmp/disk.raw" "$out"
