#!/bin/sh
# deps.sh - install, from Debian's archive, whatever the build, the tests
# and the demo need and this machine lacks. Uses sudo when not root.
set -eu
need_pkgs=""
want_pc() { pkg-config --exists "$1" 2>/dev/null || need_pkgs="$need_pkgs $2"; }
want_cmd() { command -v "$1" >/dev/null 2>&1 || need_pkgs="$need_pkgs $2"; }

command -v pkg-config >/dev/null 2>&1 || need_pkgs="$need_pkgs pkg-config"
want_cmd cc gcc
want_cmd make make
want_pc libcurl libcurl4-openssl-dev
want_pc libcrypto libssl-dev
want_pc jansson libjansson-dev
want_pc yaml-0.1 libyaml-dev
want_pc cmocka libcmocka-dev
want_pc libguestfs libguestfs-dev
want_pc libarchive libarchive-dev
want_pc ext2fs libext2fs-dev
# the appliance needs a kernel to boot, and guestfish builds test images
[ -n "$(ls /boot/vmlinuz-* 2>/dev/null)" ] || need_pkgs="$need_pkgs linux-image-amd64"
want_cmd guestfish libguestfs-tools
# the inventory benchmark times virt-inspector
want_cmd virt-inspector guestfs-tools
# XFS inside the appliance (the test images have one on LVM)
dpkg -s libguestfs-xfs >/dev/null 2>&1 || need_pkgs="$need_pkgs libguestfs-xfs"
want_cmd curl curl
want_cmd openssl openssl
want_cmd mandoc mandoc
want_cmd col bsdextrautils
want_cmd qemu-img qemu-utils
want_cmd qemu-nbd qemu-utils
want_cmd setpriv util-linux
want_cmd mke2fs e2fsprogs
want_cmd sgdisk gdisk
want_cmd getfattr attr
want_cmd strace strace
# the completion tests run bash's completion for real, and zsh's
want_cmd zsh zsh
[ -r /usr/share/bash-completion/bash_completion ] || need_pkgs="$need_pkgs bash-completion"
# the sandbox around the native reader, and its test with qemu-nbd
want_pc libseccomp libseccomp-dev
want_pc libnbd libnbd-dev
[ -x /usr/bin/python3 ] || need_pkgs="$need_pkgs python3"
# the Debian package (t_package.sh) and the Ansible role (t_ansible.sh)
want_cmd dpkg-buildpackage dpkg-dev
want_cmd dh debhelper
want_cmd lintian lintian
want_cmd ansible-playbook ansible
# `make fuzz` only (make check replays the corpora with gcc): clang and
# libFuzzer's runtime, which Debian ships in libclang-rt-14-dev
if [ "${LIFEBOAT_FUZZ:-0}" = 1 ]; then
	want_cmd clang clang
	command -v clang >/dev/null 2>&1 &&
		[ -f "$(clang -print-runtime-dir 2>/dev/null)/libclang_rt.fuzzer-x86_64.a" ] ||
		need_pkgs="$need_pkgs libclang-rt-14-dev"
fi

[ -z "$need_pkgs" ] && exit 0
echo "deps: installing$need_pkgs"
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $need_pkgs
