#!/bin/sh
# make-disk.sh OUT.qcow2 - a small qcow2 disk holding an ext4 filesystem
# with the kind of data the rescue story is about: user icons and custom
# emoji under /var/lib/chat. Built without any appliance, in a second.
set -eu
out=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
mkdir -p "$root/var/lib/chat/icons" "$root/var/lib/chat/emoji" "$root/etc"
echo chat-01 >"$root/etc/hostname"
i=0
while [ $i -lt 40 ]; do
	head -c $((2048 + i * 97)) /dev/urandom >"$root/var/lib/chat/icons/user$i.png"
	head -c $((1024 + i * 31)) /dev/urandom >"$root/var/lib/chat/emoji/party$i.gif"
	i=$((i + 1))
done
printf 'the only copy\n' >"$root/var/lib/chat/README"
E2FSPROGS_FAKE_TIME=1795953600 mke2fs -q -F -t ext4 -d "$root" -L chatdata "$tmp/disk.raw" 16M >/dev/null
qemu-img convert -O qcow2 "$tmp/disk.raw" "$out"
