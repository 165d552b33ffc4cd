# t_extract_native.sh - the native reader against the appliance on the same
# images: GPT and MBR (with logical partitions), raw, qcow2 and compressed
# qcow2, inline data, 200 levels, odd names, xattrs, holes, hard links,
# ext3 and ext2 without extents. Three appliance runs in all, under the
# machine-wide lock; everything else is native. The sanitizer build runs the
# native side only: the comparison with the appliance is made once, in the
# release build. A 50,000-entry htree is read natively and its order
# checked against debugfs (the appliance would take minutes to copy it).
# lane: appliance

setup_file() {
	export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
	. "$TOP/tests/images/appliance-lock.sh"
	X=$LIFEBOAT_BIN/lifeboat-extract
	ND=$WORK/nd
	from_cache native-disks "$ND" "$TOP/tests/images/native-disks.sh" @OUT@ "$LIFEBOAT_BIN/tests/grow-dir" >/dev/null 2>&1 || return 1
	/usr/bin/python3 "$TOP/tests/images/hostile-tree.py" "$WORK/htree" || return 1
	mke2fs -q -F -t ext4 -d "$WORK/htree" -L hostile "$WORK/hostile.raw" 256M >/dev/null 2>&1 || return 1
	qemu-img convert -O qcow2 "$WORK/hostile.raw" "$WORK/hostile.qcow2" || return 1
	SUMS_BEFORE=$(cd "$WORK" && sha256sum nd/gpt.raw nd/gpt.qcow2 nd/mbr.qcow2 hostile.qcow2)
	local r readers="native appliance"
	if sanitizer_build; then
		readers=native
		unset -f t_gpt_raw_manifests_identical t_mbr_logical_compressed_qcow2_manifests_identical \
			t_hostile_manifests_identical
	fi
	for r in $readers; do
		# one command per image and reader: the appliance's are the three launches
		copy_with $r gpt "$ND/gpt.raw" /t4 || return 1
		copy_with $r mbr "$ND/mbr.qcow2" /dev/sda1/i4 /dev/sda5/t3 /dev/sda6/t2 || return 1
		copy_with $r hostile "$WORK/hostile.qcow2" /var/lib/chat "/var/lib/chat/it's all holes" || return 1
	done
	copy_with native gptq "$ND/gpt.qcow2" /t4
	copy_with native big "$ND/gpt.qcow2" /big/htree
}

# copy_with READER NAME IMAGE PATH...: into $WORK/NAME.READER, its manifest,
# stdout, stderr and exit code beside it
copy_with() {
	local reader=$1 name=$2 img=$3
	shift 3
	local out=$WORK/$name.$reader
	local start=$SECONDS
	if [ "$reader" = appliance ]; then
		with_appliance_lock "$X" --reader=appliance copy "$img" "$@" "$out" \
			--manifest "$out.manifest" --no-progress >"$out.out" 2>"$out.err"
	else
		"$X" --reader=native copy "$img" "$@" "$out" --manifest "$out.manifest" \
			--no-progress >"$out.out" 2>"$out.err"
	fi
	echo $? >"$out.rc"
	echo $((SECONDS - start)) >"$out.secs"
}

# sorted, since the appliance streams files that are mostly holes last
same_manifests() {
	local name=$1
	expect_eq "$(cat "$WORK/$name.native.rc")" "$(cat "$WORK/$name.appliance.rc")"
	[ -s "$WORK/$name.native.manifest" ] || fail "no native manifest for $name"
	diff <(sort "$WORK/$name.native.manifest") <(sort "$WORK/$name.appliance.manifest") \
		>"$WORK/$name.diff" || fail "$name: the manifests differ: $(head -5 "$WORK/$name.diff")"
}

t_gpt_raw_manifests_identical() {
	same_manifests gpt
	expect_eq "$(cat "$WORK/gpt.native.rc")" 0   # the FIFO and the device node: skipped by policy
}

t_gpt_qcow2_equals_raw() {
	cmp "$WORK/gpt.native.manifest" "$WORK/gptq.native.manifest" || fail "qcow2 and raw differ"
}

t_mbr_logical_compressed_qcow2_manifests_identical() {
	same_manifests mbr
	ERR=$(cat "$WORK/mbr.native.err")
	expect_err '/dev/sda5 mounted: its files are /dev/sda5/\.\.\.'
}

t_hostile_manifests_identical() {
	same_manifests hostile
}

t_htree_of_50000_entries_in_hash_order() {
	local n
	expect_eq "$(cat "$WORK/big.native.rc")" 0
	n=$(grep -c ' htree/' "$WORK/big.native.manifest")
	[ "$n" -ge 50000 ] || fail "only $n entries in the htree"
	# hard links inside one htree: the first name met in hash order is
	# the file, the others link to it; debugfs reads the hashes off the disk
	debugfs -R "htree_dump /big/htree" "$ND/gpt.raw?offset=$((2048 * 512))" 2>/dev/null |
		/usr/bin/python3 "$TOP/tests/images/htree-links.py" htree >"$WORK/htree.links" 2>"$WORK/htree.count"
	expect_eq "$(cat "$WORK/htree.count")" "$n"
	[ "$(wc -l <"$WORK/htree.links")" = 10 ] || fail "debugfs shows $(wc -l <"$WORK/htree.links") links, not 10"
	diff "$WORK/htree.links" <(awk '$1 == "h" { print $8, $9 }' "$WORK/big.native.manifest" | sort) ||
		fail "the links are not those of the hash order"
}

t_trees_are_exact() {
	diff -r "$ND/src.old/t3/odd" "$WORK/mbr.native/t3/odd" || fail "ext3 odd names"
	cmp "$ND/src.old/t3/data/indirect.bin" "$WORK/mbr.native/t3/data/indirect.bin" || fail "double indirect"
	cmp "$ND/src.full/t4/xattr/large" "$WORK/gpt.native/t4/xattr/large" || fail "xattr file"
	expect_eq "$(getfattr --only-values -n user.big "$WORK/gpt.native/t4/xattr/large" | sha256sum)" \
		"$(getfattr --only-values -n user.big "$ND/src.full/t4/xattr/large" | sha256sum)"
	expect_eq "$(getfattr -d "$WORK/gpt.native/t4/xattr/many" | grep -c '^user\.k')" 20
	expect_eq "$(getfattr --only-values -n user.note "$WORK/mbr.native/i4/inline/with-xattr")" "inline and an xattr"
	expect_eq "$(readlink "$WORK/gpt.native/t4/links/slow")" "$(readlink "$ND/src.full/t4/links/slow")"
	expect_eq "$(stat -c %h "$WORK/gpt.native/t4/links/third")" 3
	expect_eq "$(stat -c %s:%b "$WORK/gpt.native/t4/all-holes")" $((5 << 20)):0
	[ "$(stat -c %b "$WORK/gpt.native/t4/sparse.db")" -le 64 ] || fail "holes filled"
	[ -f "$WORK/gpt.native/t4/deep/$(cd "$ND/src.full/t4/deep" && find . -name bottom.txt | cut -c3-)" ] || fail "200 deep"
	run "$X" verify "$WORK/gpt.native" "$WORK/gpt.native.manifest"
	expect_rc 0
}

t_native_is_fast_and_said_nothing_of_the_appliance() {
	OUT=
	ERR=$(cat "$WORK/gpt.native.err" "$WORK/mbr.native.err" "$WORK/hostile.native.err")
	expect_not 'appliance'
	[ "$(cat "$WORK/mbr.native.secs")" -le 10 ] || fail "native took $(cat "$WORK/mbr.native.secs") s"
}

t_auto_is_native_ls_and_cat() {
	local start=$SECONDS
	run "$X" ls "$ND/mbr.qcow2" /dev/sda5/t3/links -l
	expect_rc 0
	expect_out '^l 0777 +0 +0 +5 [0-9]+ fast$'
	expect_not 'using the appliance'
	# (not through run: a GiB of holes is no shell variable)
	"$X" cat "$ND/mbr.qcow2" /dev/sda5/t3/data/indirect.bin >"$WORK/cat.out" 2>"$WORK/cat.err" ||
		fail "cat: $(cat "$WORK/cat.err")"
	expect_eq "$(sha256sum <"$WORK/cat.out")" "$(sha256sum <"$ND/src.old/t3/data/indirect.bin")"
	"$X" cat "$ND/gpt.raw" /t4/all-holes >"$WORK/cat.out" 2>"$WORK/cat.err" ||
		fail "cat: $(cat "$WORK/cat.err")"
	expect_eq "$(sha256sum <"$WORK/cat.out")" "$(sha256sum <"$ND/src.full/t4/all-holes")"
	rm -f "$WORK/cat.out"
	ERR=$(cat "$WORK/cat.err")
	expect_not 'appliance'
	[ $((SECONDS - start)) -lt 10 ] || fail "an appliance was started"
}

t_filesystems_native() {
	run "$X" --reader=native filesystems "$ND/mbr.qcow2" --json
	expect_rc 0
	expect_eq "$(json_get '[(f["device"], f["type"], f["label"], f["size"]) for f in d["filesystems"]]')" \
		"[('/dev/sda1', 'ext4', 'inline', 33554432), ('/dev/sda5', 'ext3', 'old', 67108864), ('/dev/sda6', 'ext2', 'plain', 8388608)]"
	expect_eq "$(json_get 'all(len(f["uuid"]) == 36 and f["used"] > 0 for f in d["filesystems"])')" True
}

t_refusals_name_the_feature() {
	truncate -s 10M "$WORK/xfs.raw"
	printf 'XFSB' | dd of="$WORK/xfs.raw" conv=notrunc status=none
	run "$X" --reader=native ls "$WORK/xfs.raw" /
	expect_rc 1
	expect_err "/dev/sda holds xfs, which only the appliance reads"
	local f
	for f in casefold encrypt; do
		cp "$WORK/hostile.raw" "$WORK/$f.raw"
		debugfs -w -R "feature $f" "$WORK/$f.raw" >/dev/null 2>&1
		run "$X" --reader=native ls "$WORK/$f.raw" /
		expect_rc 1
		expect_err "the filesystem uses $f"
	done
}

t_auto_falls_back_saying_why() {
	cp "$WORK/hostile.raw" "$WORK/fallback.raw"
	debugfs -w -R "feature casefold" "$WORK/fallback.raw" >/dev/null 2>&1
	run with_appliance_lock "$X" ls "$WORK/fallback.raw" /
	expect_err '^lifeboat-extract: using the appliance: /dev/sda: the filesystem uses casefold$'
}

# crafted images: a clear error, in bounded time, never a hang
t_crafted_images_end_in_clear_errors() {
	local src=$WORK/crafted
	mkdir -p "$src/a/b"
	echo hi >"$src/small"
	/usr/bin/python3 -c '
import sys
f = open(sys.argv[1], "wb")
for i in range(12):
    f.seek(i * 65536); f.write(b"F" * 4096)' "$src/frag"
	mke2fs -q -F -t ext4 -O ^metadata_csum -b 4096 -d "$src" "$WORK/base.raw" 32M >/dev/null 2>&1
	cp "$WORK/base.raw" "$WORK/huge.raw"
	debugfs -w -R "sif /small size 0x1000000000000000" "$WORK/huge.raw" >/dev/null 2>&1
	cp "$WORK/base.raw" "$WORK/cycle.raw"
	debugfs -w -R "link /a /a/b/loop" "$WORK/cycle.raw" >/dev/null 2>&1
	# the extent tree's one leaf made an index node pointing at itself
	cp "$WORK/base.raw" "$WORK/loop.raw"
	local leaf
	leaf=$(debugfs -R 'ex /frag' "$WORK/base.raw" 2>/dev/null | awk '$1 == "0/" { print $8; exit }')
	[ -n "$leaf" ] || fail "no extent tree node in /frag"
	/usr/bin/python3 -c '
import struct, sys
f = open(sys.argv[1], "r+b"); leaf = int(sys.argv[2]); f.seek(leaf * 4096)
f.write(struct.pack("<HHHHI", 0xF30A, 1, 340, 1, 0) + struct.pack("<IIHH", 0, leaf, 0, 0))' "$WORK/loop.raw" "$leaf"
	run timeout 60 "$X" --reader=native copy "$WORK/huge.raw" / "$WORK/o-huge" --no-progress
	expect_rc 10   # the image could not be read to the end
	expect_err 'claims 1152921504606846976 bytes, more than ext4 allows'
	run timeout 60 "$X" --reader=native copy "$WORK/cycle.raw" / "$WORK/o-cycle" --no-progress
	expect_rc 10
	expect_err 'is met a second time \(a directory cycle in the image\)'
	run timeout 60 "$X" --reader=native copy "$WORK/loop.raw" / "$WORK/o-loop" --no-progress
	[ "$RC" != 124 ] && [ "$RC" != 0 ] || fail "exit $RC"
	expect_err "frag: reading it failed: inode [0-9]+: its extent tree is malformed at block $leaf"
}

t_native_runs_as_nobody() {
	local d
	d=$(mktemp -d /tmp/lifeboat-nobody.XXXXXX)
	chmod 755 "$d"
	cp "$ND/mbr.qcow2" "$d/"
	mkdir "$d/dest"
	chown 65534:65534 "$d/dest"
	run setpriv --reuid=65534 --regid=65534 --clear-groups -- \
		"$X" --reader=native copy "$d/mbr.qcow2" /dev/sda5/t3 "$d/dest/out" --no-progress
	local owner
	owner=$(stat -c %u "$d/dest/out/t3/data/indirect.bin" 2>/dev/null)
	cmp "$ND/src.old/t3/data/indirect.bin" "$d/dest/out/t3/data/indirect.bin" >/dev/null 2>&1
	local same=$?
	rm -rf "$d"
	expect_rc 0   # the FIFO and the device node: skipped by policy
	expect_eq "$owner" 65534
	expect_eq "$same" 0
}

t_images_never_written() {
	expect_eq "$(cd "$WORK" && sha256sum nd/gpt.raw nd/gpt.qcow2 nd/mbr.qcow2 hostile.qcow2)" "$SUMS_BEFORE"
}
