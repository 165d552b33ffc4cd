# t_extract_verify.sh - verify against copies it must find wrong; no
# appliance: the tree and its manifest are written here, in the format the
# man page documents (FILES)

setup_file() {
	X=$LIFEBOAT_BIN/lifeboat-extract
}

# line TYPE PATH [TARGET] - the manifest line for what PATH (under $D) is now
line() {
	local t=$1 p=$2 target=${3:-} hash=- size=0
	local mode mtime
	mode=$(stat -c %a "$D/$p")
	mtime=$(stat -c %Y "$D/$p")
	case $t in
	f) hash=$(sha256sum <"$D/$p" | cut -c1-64); size=$(stat -c %s "$D/$p") ;;
	l) hash=$(printf %s "$target" | sha256sum | cut -c1-64); mode=777 ;;
	esac
	printf '%s %04o 0 0 %s %s.000000000 %s %s%s\n' "$t" "0$mode" "$size" "$mtime" "$hash" "$p" \
		"${target:+ $target}"
}

setup_each() {
	D=$WORK/dest.$RANDOM
	mkdir -p "$D/chat/sub"
	echo "icon" >"$D/chat/icon.png"
	echo "emoji" >"$D/chat/emoji.db"
	ln "$D/chat/emoji.db" "$D/chat/emoji.hard"
	ln -s icon.png "$D/chat/link"
	# a path over 8 KiB: 40 levels of 220-byte names
	local deep=chat/sub i name
	name=$(printf 'x%.0s' $(seq 220))
	for i in $(seq 40); do deep=$deep/$name; done
	/usr/bin/python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
for c in sys.argv[2].split("/")[2:]:
    os.mkdir(c, dir_fd=fd); n = os.open(c, os.O_RDONLY, dir_fd=fd); os.close(fd); fd = n
f = os.open("leaf", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd); os.write(f, b"deep\n")
' "$D/chat/sub" "$deep"
	DEEP=$deep/leaf
	M=$WORK/manifest.$RANDOM
	{
		line d chat
		line f chat/icon.png
		line f chat/emoji.db
		line h chat/emoji.hard chat/emoji.db
		line l chat/link icon.png
		line d chat/sub
		# the deep entries: python gives their lines (paths too long for stat)
		/usr/bin/python3 -c '
import hashlib, os, sys
root, deep = sys.argv[1], sys.argv[2]
fd = os.open(root, os.O_RDONLY)
parts = deep.split("/")
for i, c in enumerate(parts):
    st = os.stat(c, dir_fd=fd, follow_symlinks=False)
    rel = "/".join(parts[:i + 1])
    if i + 1 < len(parts):
        print("d %04o 0 0 0 %d.000000000 - %s" % (st.st_mode & 0o7777, st.st_mtime, rel))
        n = os.open(c, os.O_RDONLY, dir_fd=fd); os.close(fd); fd = n
    else:
        f = os.open(c, os.O_RDONLY, dir_fd=fd); h = hashlib.sha256(os.read(f, 1 << 20)).hexdigest()
        print("f %04o 0 0 %d %d.000000000 %s %s" % (st.st_mode & 0o7777, st.st_size, st.st_mtime, h, rel))
' "$D" "$DEEP" | grep -v '^d [0-9]* 0 0 0 [0-9.]* - chat$' | grep -v ' chat/sub$'
	} >"$M"
}

t_a_faithful_copy_passes() {
	run "$X" verify "$D" "$M"
	expect_rc 0
	expect_out "^$(wc -l <"$M") entries checked, 0 differ$"
}

t_path_over_8_kib() {
	[ ${#DEEP} -gt 8192 ] || fail "the path is only ${#DEEP} bytes"
	run "$X" verify "$D" "$M"
	expect_rc 0
	expect_not malformed
	# and a change down there is seen
	/usr/bin/python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
for c in sys.argv[2].split("/")[:-1]:
    n = os.open(c, os.O_RDONLY, dir_fd=fd); os.close(fd); fd = n
st = os.stat("leaf", dir_fd=fd)
f = os.open("leaf", os.O_WRONLY, dir_fd=fd); os.write(f, b"DEEP\n"); os.close(f)
os.utime("leaf", (st.st_atime, st.st_mtime), dir_fd=fd)
' "$D" "$DEEP"
	run "$X" verify "$D" "$M"
	expect_rc 8
	expect_out 'leaf: content differs'
}

t_retargeted_symlink() {
	local t
	t=$(stat -c %Y "$D/chat/link")
	ln -sfn emoji.db "$D/chat/link"
	touch -h -d @"$t" "$D/chat/link"
	run "$X" verify "$D" "$M"
	expect_rc 8
	expect_out '^chat/link: symlink target differs$'
}

t_edited_hard_link() {
	local t
	t=$(stat -c %Y "$D/chat/emoji.hard")
	rm "$D/chat/emoji.hard"
	echo "EMOJI" >"$D/chat/emoji.hard"
	touch -d @"$t" "$D/chat/emoji.hard"
	run "$X" verify "$D" "$M"
	expect_rc 8
	expect_out '^chat/emoji.hard: no longer a hard link to its target$'
}

t_extra_and_missing_entries() {
	local t
	t=$(stat -c %Y "$D/chat")
	echo "planted" >"$D/chat/extra.txt"
	rm "$D/chat/icon.png"
	touch -d @"$t" "$D/chat"
	run "$X" verify "$D" "$M" --json
	expect_rc 8
	expect_eq "$(json_get 'sorted((x["path"], x["why"]) for x in d["differences"])')" \
		"[('chat/extra.txt', 'not in the manifest'), ('chat/icon.png', 'missing')]"
	expect_eq "$(json_get 'd["extra"]')" 1
}

t_fifo_where_a_file_should_be() {
	local t
	t=$(stat -c %Y "$D/chat/icon.png")
	rm "$D/chat/icon.png"
	mkfifo -m 0644 "$D/chat/icon.png"
	touch -d @"$t" "$D/chat/icon.png"
	run timeout 20 "$X" verify "$D" "$M"
	expect_rc 8
	expect_out '^chat/icon.png: type differs$'
}

t_a_manifest_cannot_reach_above_dest() {
	# a file beside DEST whose line would match, were ".." followed
	echo "outside" >"$WORK/outside.txt"
	local h s t
	h=$(sha256sum <"$WORK/outside.txt" | cut -c1-64)
	s=$(stat -c %s "$WORK/outside.txt")
	t=$(stat -c %Y "$WORK/outside.txt")
	{
		printf 'f 0644 0 0 %s %s.000000000 %s ../outside.txt\n' "$s" "$t" "$h"
		printf 'f 0644 0 0 %s %s.000000000 %s chat/../../outside.txt\n' "$s" "$t" "$h"
		printf 'f 0644 0 0 %s %s.000000000 %s %s\n' "$s" "$t" "$h" "${WORK#/}/outside.txt"
	} >"$M.up"
	run "$X" verify "$D" "$M.up" --json
	expect_rc 8
	expect_eq "$(json_get 'd["checked"]')" 3
	expect_eq "$(json_get 'sorted(x["why"] for x in d["differences"] if x["path"].endswith("outside.txt"))')" \
		"['missing', 'missing', 'missing']"
}
