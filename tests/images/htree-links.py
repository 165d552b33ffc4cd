#!/usr/bin/python3
"""htree-links.py PREFIX < "debugfs -R 'htree_dump DIR'" output - the hard
links a reader in Linux's readdir order makes of DIR's names, one
"PREFIX/LINK PREFIX/TARGET" line each, sorted: of the names of one inode,
the first in (hash, minor hash) order is the file, the others link to it.
Linux's readdir of an indexed directory returns the names in that order;
debugfs (e2fsprogs) reads the hashes off the disk, so the order comes from
neither reader under test. The count of names goes to stderr."""
import re
import sys

ENTRY = re.compile(r"(\d+) 0x([0-9a-f]{8})-([0-9a-f]{8}) \(\d+\) (\S+)")


def main():
    prefix = sys.argv[1]
    names = []
    for line in sys.stdin:
        for m in ENTRY.finditer(line):
            if m.group(4) not in (".", ".."):
                names.append((int(m.group(2), 16), int(m.group(3), 16), m.group(4),
                              int(m.group(1))))
    first, links = {}, []
    for _, _, name, ino in sorted(names):
        if ino in first:
            links.append("%s/%s %s/%s" % (prefix, name, prefix, first[ino]))
        else:
            first[ino] = name
    for line in sorted(links):
        print(line)
    print(len(names), file=sys.stderr)


main()
