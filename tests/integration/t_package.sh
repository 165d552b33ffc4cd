# t_package.sh - the Debian package: `dpkg-buildpackage -us -uc -b` builds
# lifeboat-snap and lifeboat-extract (in a copy of the tree, so the checkout
# stays clean), lintian finds no error, their Depends are right, and both
# install into a throwaway root, run, and leave nothing behind when purged

setup_file() {
	local t
	for t in dpkg-buildpackage dh lintian; do
		command -v "$t" >/dev/null || { echo "    $t missing: run make deps"; return 1; }
	done
	SRC=$WORK/pkg/lifeboat
	mkdir -p "$SRC"
	tar -C "$TOP" --exclude=./build --exclude=./.git -cf - . | tar -C "$SRC" -xf -
	# no network: in a network namespace of its own where one can be made
	local started=$SECONDS offline=()
	unshare -n true 2>/dev/null && offline=(unshare -n)
	# (make check's own MAKEFLAGS stay out of the package build)
	( cd "$SRC" && unset MAKEFLAGS MFLAGS MAKELEVEL &&
	  DEB_BUILD_OPTIONS=parallel=2 "${offline[@]}" dpkg-buildpackage -us -uc -b ) \
		>"$WORK/pkg/build.log" 2>&1 || { tail -30 "$WORK/pkg/build.log"; return 1; }
	local net="without network"
	[ ${#offline[@]} -gt 0 ] || net="network NOT isolated (unshare -n cannot run here)"
	echo "    packages built in $((SECONDS - started)) s, $net"
	SNAP_DEB=$(echo "$WORK"/pkg/lifeboat-snap_*_amd64.deb)
	EXTRACT_DEB=$(echo "$WORK"/pkg/lifeboat-extract_*_amd64.deb)
	CHANGES=$(echo "$WORK"/pkg/lifeboat_*_amd64.changes)
	[ -f "$SNAP_DEB" ] && [ -f "$EXTRACT_DEB" ] && [ -f "$CHANGES" ]
}

# deb_has DEB PATH - the package ships PATH
deb_has() { dpkg-deb -c "$1" | awk '{print $6}' | grep -qx "./$2"; }

t_two_packages_with_their_files() {
	deb_has "$SNAP_DEB" usr/bin/lifeboat-snap || fail "no lifeboat-snap binary"
	deb_has "$SNAP_DEB" usr/share/man/man1/lifeboat-snap.1.gz || fail "no lifeboat-snap man page"
	deb_has "$SNAP_DEB" usr/share/man/man7/lifeboat-json.7.gz || fail "no lifeboat-json(7)"
	deb_has "$SNAP_DEB" lib/systemd/system/lifeboat-snap@.service || fail "no service"
	deb_has "$SNAP_DEB" lib/systemd/system/lifeboat-snap@.timer || fail "no timer"
	deb_has "$EXTRACT_DEB" usr/bin/lifeboat-extract || fail "no lifeboat-extract binary"
	deb_has "$EXTRACT_DEB" usr/share/man/man1/lifeboat-extract.1.gz || fail "no extract man page"
	deb_has "$SNAP_DEB" usr/bin/lifeboat-extract && fail "lifeboat-snap ships the extractor"
	deb_has "$EXTRACT_DEB" usr/bin/lifeboat-snap && fail "lifeboat-extract ships lifeboat-snap"
	# the packaged units run the packaged binary
	dpkg-deb --fsys-tarfile "$SNAP_DEB" | tar -xOf - ./lib/systemd/system/lifeboat-snap@.service \
		>"$WORK/unit"
	grep -q '^ExecStart=/usr/bin/lifeboat-snap ' "$WORK/unit" || fail "unit does not run /usr/bin"
	grep -q '/usr/local' "$WORK/unit" && fail "unit still names /usr/local"
	# completions: whatever `make install` lays down is in a package
	local f n=0
	while read -r f; do
		[ -n "$f" ] || continue
		n=$((n + 1))
		deb_has "$SNAP_DEB" "$f" || deb_has "$EXTRACT_DEB" "$f" || fail "$f in no package"
	done < <(cd "$SRC/debian/tmp" && find usr/share/bash-completion usr/share/zsh -type f 2>/dev/null)
	echo "    $n shell completion files packaged"
	return 0
}

t_snap_pulls_in_no_qemu_nor_libguestfs() {
	local dep
	dep=$(dpkg-deb -f "$SNAP_DEB" Depends Pre-Depends Recommends)
	echo "    lifeboat-snap: $dep" | tr '\n' ' '; echo
	echo "$dep" | grep -q 'libcurl4' || fail "shlibs Depends missing (no libcurl4)"
	echo "$dep" | grep -qiE 'qemu|guestfs|libnbd|libarchive' && fail "lifeboat-snap pulls in $dep"
	dep=$(dpkg-deb -f "$EXTRACT_DEB" Depends)
	echo "$dep" | grep -qE '(^|[ ,])qemu-utils($|[ ,])' || fail "lifeboat-extract lacks qemu-utils: $dep"
	echo "$dep" | grep -q 'libguestfs0' || fail "lifeboat-extract lacks libguestfs0: $dep"
	echo "$dep" | grep -qE 'libcurl|libyaml' && fail "lifeboat-extract pulls in cloud libraries: $dep"
	return 0
}

t_lintian_finds_no_error() {
	run lintian --fail-on error "$CHANGES"
	local e w
	e=$(grep -c '^E: ' "$WORK/out" || true)
	w=$(grep -c '^W: ' "$WORK/out" || true)
	echo "    lintian: $e errors, $w warnings"
	sed 's/^/    /' "$WORK/out" | head -20
	[ "$RC" = 0 ] || fail "lintian exited $RC"
	[ "$e" = 0 ] || fail "lintian errors"
}

t_install_run_remove_in_a_throwaway_root() {
	# a root of its own whose dpkg database is this machine's: dpkg checks
	# the Depends against what is really installed, and the machine's own
	# /usr is never touched (the packages have no maintainer scripts, so
	# dpkg never needs to chroot into it)
	local root=$WORK/root db=$WORK/root/var/lib/dpkg
	mkdir -p "$db/info" "$db/updates"
	cp /var/lib/dpkg/status "$db/status"
	: >"$db/available"
	dpkg-deb -I "$SNAP_DEB" | grep -qE ' (pre|post)(inst|rm) ' && fail "maintainer scripts appeared"
	run dpkg --root="$root" -i "$SNAP_DEB" "$EXTRACT_DEB"
	expect_rc 0
	run "$root/usr/bin/lifeboat-snap" --version
	expect_rc 0
	expect_out 'lifeboat-snap [0-9]'
	run "$root/usr/bin/lifeboat-extract" --version
	expect_rc 0
	expect_out 'lifeboat-extract [0-9]'
	local p
	for p in lifeboat-snap lifeboat-extract; do
		[ -s "$root/usr/share/man/man1/$p.1.gz" ] || fail "no man page for $p"
		man -l "$root/usr/share/man/man1/$p.1.gz" 2>/dev/null | grep -q "$p" ||
			fail "man page of $p does not render"
	done
	run dpkg --root="$root" -P lifeboat-snap lifeboat-extract
	expect_rc 0
	# nothing is left: no file outside dpkg's database, no package state
	local left
	left=$(cd "$root" && find . -mindepth 1 -path ./var/lib/dpkg -prune -o \
		! -path ./var ! -path ./var/lib -print)
	[ -z "$left" ] || fail "left behind: $left"
	ls "$db/info" | grep -q lifeboat && fail "dpkg still has lifeboat files: $(ls "$db/info")"
	dpkg --root="$root" -s lifeboat-snap >/dev/null 2>&1 && fail "lifeboat-snap still known"
	return 0
}
