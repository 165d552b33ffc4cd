#!/usr/bin/python3
"""hostile-tree.py DIR - the tree of a hostile or just awkward image: odd
names, escaping symlinks, a loop, device nodes, a FIFO, hard links, xattrs,
a sparse file, setuid, and nesting deeper than PATH_MAX. Run as root."""
import os
import sys

root = sys.argv[1]
os.makedirs(root)


def put(rel, data=b"", mode=0o644):
    path = os.path.join(root.encode(), rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)
    return path


chat = b"var/lib/chat"
for i in range(30):
    put(chat + b"/icons/user%d.png" % i, os.urandom(2000 + 37 * i))
    put(chat + b"/emoji/party%d.gif" % i, os.urandom(500 + 11 * i))
p = put(chat + b"/README", b"the only copy\n")
os.setxattr(p, "user.origin", b"chat-01")
os.link(p, os.path.join(root.encode(), chat + b"/README.hardlink"))
put(chat + b"/" + b"n" * 255, b"long name")
put(chat + b"/line\nbreak", b"newline in the name")
put(chat + b"/latin1-\xe9t\xe9", b"not utf-8")
put(b"usr/bin/suid", b"#!/bin/sh\n", 0o4755)

# a sparse file: 10 GiB of which 8 KiB is data, at 32 MiB and at the end
sparse = os.path.join(root, "var/lib/chat/sparse.db")
with open(sparse, "wb") as f:
    f.seek(32 << 20)
    f.write(b"D" * 4096)
    f.seek((10 << 30) - 4096)
    f.write(b"E" * 4096)
os.setxattr(sparse, "user.kind", b"sparse")
# nothing but a hole, with a quote in its name
with open(os.path.join(root, "var/lib/chat/it's all holes"), "wb") as f:
    f.truncate(4 << 20)

links = os.path.join(root, "var/lib/chat/links")
os.makedirs(links)
os.symlink("/etc/shadow", os.path.join(links, "abs"))
os.symlink("../../../../../../etc", os.path.join(links, "up"))
os.symlink("loop-b", os.path.join(links, "loop-a"))
os.symlink("loop-a", os.path.join(links, "loop-b"))
os.symlink("/", os.path.join(links, "rootdir"))

dev = os.path.join(root, "var/lib/chat/dev")
os.makedirs(dev)
os.mknod(os.path.join(dev, "mem"), 0o640 | 0o020000, os.makedev(1, 1))
os.mkfifo(os.path.join(dev, "fifo"))

# 200 levels of 24-character names: about 5,000 bytes of path
fd = os.open(os.path.join(root, "var/lib/chat"), os.O_RDONLY)
os.mkdir("deep", dir_fd=fd)
cur = os.open("deep", os.O_RDONLY, dir_fd=fd)
os.close(fd)
for level in range(200):
    name = "level-%03d-xxxxxxxxxxxxxx" % level
    os.mkdir(name, dir_fd=cur)
    nxt = os.open(name, os.O_RDONLY, dir_fd=cur)
    os.close(cur)
    cur = nxt
leaf = os.open("bottom.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=cur)
os.write(leaf, b"deepest\n")
os.close(leaf)
os.close(cur)
