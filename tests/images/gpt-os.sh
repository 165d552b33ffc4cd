#!/bin/sh
# gpt-os.sh OUT.qcow2|OUT.raw [--no-os] - a GPT disk with a small Linux root on partition 1
# and a separate /var on partition 2 (mounted through /etc/fstab), whose
# journal is left dirty, as after a crash. No appliance needed. OUT.var
# keeps a copy of /var's tree to compare against.
set -eu
out=$1
no_os=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root var=$tmp/var
mkdir -p "$root/etc" "$root/bin" "$root/usr/bin" "$root/var" "$root/sbin" \
	"$var/lib/chat/icons" "$var/log"
cat >"$root/etc/os-release" <<OS
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
ID=debian
OS
echo 12.8 >"$root/etc/debian_version"
echo chat-01 >"$root/etc/hostname"
printf 'LABEL=root / ext4 defaults 0 1\nLABEL=var /var ext4 defaults 0 2\n' >"$root/etc/fstab"
cp /bin/sh "$root/bin/sh"
cp /bin/ls "$root/bin/ls"
# a data disk: the same two filesystems, nothing to inspect
[ "$no_os" = --no-os ] && rm -rf "$root/etc" "$root/bin" "$root/usr" "$root/sbin"
i=0
while [ $i -lt 20 ]; do
	head -c $((1000 + i * 50)) /dev/urandom >"$var/lib/chat/icons/u$i.png"
	i=$((i + 1))
done
echo "crashed mid-write" >"$var/log/last"

truncate -s 200M "$tmp/disk.raw"
sgdisk -n 1:2048:+80M -t 1:8300 -n 2:0:0 -t 2:8300 "$tmp/disk.raw" >/dev/null
start() { sgdisk -i "$1" "$tmp/disk.raw" | sed -n 's/^First sector: \([0-9]*\).*/\1/p'; }
end() { sgdisk -i "$1" "$tmp/disk.raw" | sed -n 's/^Last sector: \([0-9]*\).*/\1/p'; }
for n in 1 2; do
	s=$(start $n) e=$(end $n)
	src=$root label=root
	[ $n = 2 ] && src=$var label=var
	mke2fs -q -F -t ext4 -L $label -d "$src" -E offset=$((s * 512)) "$tmp/disk.raw" \
		$(((e - s + 1) / 2))k >/dev/null
done
# A crash leaves the journal needing recovery: mark /var so.
s=$(start 2)
dd if="$tmp/disk.raw" of="$tmp/var.fs" bs=512 skip="$s" count=$(( $(end 2) - s + 1 )) 2>/dev/null
debugfs -w -R "feature needs_recovery" "$tmp/var.fs" >/dev/null 2>&1
dd if="$tmp/var.fs" of="$tmp/disk.raw" bs=512 seek="$s" conv=notrunc 2>/dev/null
rm -rf "$out.var"
cp -a "$var" "$out.var"
case $out in
*.raw) mv "$tmp/disk.raw" "$out" ;;
*) qemu-img convert -O qcow2 "$tmp/disk.raw" "$out" ;;
esac
