#!/usr/bin/python3
"""native-tree.py DIR KIND - a tree for the native reader's tests, built
for mke2fs -d. KIND is "full" (everything, with a 50,000-entry directory),
"inline" (small files and directories that fit in their inodes) or "old"
(for ext2/ext3 without extents: block maps, with a file large enough for
double-indirect blocks). Run as root (device nodes)."""
import os
import sys

root, kind = sys.argv[1].encode(), sys.argv[2]
os.makedirs(root)


def put(rel, data=b"", mode=0o644):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)
    return path


def common():
    # odd names
    for name in (b"n" * 255, b"line\nbreak", b"latin1-\xe9t\xe9", b"sp ace", b"-dash",
                 b"back\\slash", b"quote'\"", b"tab\tname", b"\xe6\x97\xa5\xe6\x9c\xac"):
        put(b"odd/" + name, b"odd " + name)
    # xattrs: small ones in the inode, a large one in a block, many on one file
    p = put(b"xattr/small", b"x")
    os.setxattr(p, "user.a", b"1")
    p = put(b"xattr/large", b"y")
    os.setxattr(p, "user.big", os.urandom(700))
    p = put(b"xattr/many", b"z")
    for i in range(20):
        os.setxattr(p, "user.k%02d" % i, b"v" * (i + 1))
    os.setxattr(os.path.join(root, b"xattr"), "user.dir", b"on a directory")
    # holes
    with open(os.path.join(root, b"sparse.db"), "wb") as f:
        f.seek(3 << 20)
        f.write(b"D" * 5000)
        f.seek((1 << 30) - 4096)
        f.write(b"E" * 4096)
    with open(os.path.join(root, b"all-holes"), "wb") as f:
        f.truncate(5 << 20)
    # hard links across directories
    p = put(b"links/a/original", b"three names\n")
    os.makedirs(os.path.join(root, b"links/b"))
    os.link(p, os.path.join(root, b"links/b/second"))
    os.link(p, os.path.join(root, b"links/third"))
    # symlinks: fast (in the inode) and slow (a block)
    os.symlink(b"short", os.path.join(root, b"links/fast"))
    os.symlink(b"/" + b"long-target/" * 20, os.path.join(root, b"links/slow"))
    os.symlink(b"/etc/shadow", os.path.join(root, b"links/abs"))
    # specials: entries, never recreated without --specials
    os.mkfifo(os.path.join(root, b"fifo"))
    os.mknod(os.path.join(root, b"null"), 0o666 | 0o020000, os.makedev(1, 3))
    # 200 levels deep
    d = os.path.join(root, b"deep")
    for i in range(200):
        d = os.path.join(d, b"l%03d" % i)
    os.makedirs(d)
    put(os.path.relpath(os.path.join(d, b"bottom.txt"), root), b"the bottom\n")
    put(b"modes/setuid", b"#!/bin/sh\n", 0o4755)
    put(b"modes/private", b"secret\n", 0o600)
    os.chmod(os.path.join(root, b"modes"), 0o750)


if kind == "full":
    common()
    # the first 300 of a directory that native-disks.sh grows to 50,000
    # entries once e2fsck -D has made it an htree (mke2fs -d would take
    # minutes: it adds names to an unindexed directory one by one)
    big = os.path.join(root, b"htree")
    os.makedirs(big)
    for i in range(300):
        with open(os.path.join(big, b"entry-%05d" % i), "wb") as f:
            f.write(b"%d\n" % i)
    # names that are one file: which comes first depends on the hash order
    for i in range(0, 300, 30):
        os.link(os.path.join(big, b"entry-%05d" % i), os.path.join(big, b"link-%05d" % i))
    put(b"data/random.bin", os.urandom(3 << 20))
elif kind == "inline":
    for i in range(40):
        put(b"inline/tiny%02d" % i, b"t" * (i + 1))
    os.makedirs(os.path.join(root, b"inline/small-dir"))
    put(b"inline/small-dir/a", b"a")
    put(b"inline/medium", b"m" * 100)
    put(b"big.bin", os.urandom(200000))
    p = put(b"inline/with-xattr", b"tiny")
    os.setxattr(p, "user.note", b"inline and an xattr")
elif kind == "old":
    common()
    # 12 direct + 256 indirect blocks of 1 KiB: the rest is double indirect
    put(b"data/indirect.bin", os.urandom(700000))
    for i in range(300):
        put(b"many/f%03d" % i, b"%d" % i)
else:
    sys.exit("unknown kind " + kind)
