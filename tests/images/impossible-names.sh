#!/bin/sh
# impossible-names.sh IMAGE - a small ext4 (no metadata_csum, so that the
# patched blocks still read) whose directory /data/bad holds entries no
# kernel could have made: a second ".", a second "..", a name with "/"
# inside, one with a NUL byte, and an empty one; beside them good.txt, and
# /data/ok/fine.txt in a directory of its own. Each name is written by
# mke2fs as a placeholder of the same length, then patched in place.
set -eu
img=$1
tree=$(mktemp -d "${TMPDIR:-/tmp}/impossible-names.XXXXXX")
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/data/bad" "$tree/data/ok"
for n in XDOTXXXXXX XDOTDOTXXX XSLASHXXXX XNULXXXXXX XEMPTYXXXX; do
	echo "$n" >"$tree/data/bad/$n"
done
echo good >"$tree/data/bad/good.txt"
echo fine >"$tree/data/ok/fine.txt"
mke2fs -q -F -t ext4 -O ^metadata_csum -d "$tree" "$img" 16M >/dev/null
/usr/bin/python3 - "$img" <<'PY'
import mmap, sys
f = open(sys.argv[1], "r+b")
m = mmap.mmap(f.fileno(), 0)
def patch(name, new):
    done = 0
    i = m.find(name)
    while i >= 0:
        if m[i - 2] == len(name):      # a directory entry: name_len, type, name
            m[i - 2] = len(new)
            m[i:i + len(name)] = new + b"\0" * (len(name) - len(new))
            done += 1
        i = m.find(name, i + 1)
    if not done:
        sys.exit("no directory entry named %r" % name)
patch(b"XDOTXXXXXX", b".")
patch(b"XDOTDOTXXX", b"..")
patch(b"XSLASHXXXX", b"a/b/c/XXXX")
patch(b"XNULXXXXXX", b"n\0l")
patch(b"XEMPTYXXXX", b"")
m.flush()
PY
