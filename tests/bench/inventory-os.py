#!/usr/bin/python3
"""inventory-os.py ROOT [FILES] - a Debian root for the inventory benchmark, from this
machine's own packages: every required and important package's files, its dpkg
database entries (info/*.list, *.md5sums, *.conffiles, its status paragraph), as on a
minimal installed system; then FILES data files under /var/lib/chat and a PostgreSQL
cluster that no package owns. Nothing is downloaded."""
import os
import random
import shutil
import subprocess
import sys

root = sys.argv[1]
files = int(sys.argv[2]) if len(sys.argv) > 2 else 7000
info = "/var/lib/dpkg/info"

out = subprocess.run(["dpkg-query", "-W", "-f=${Package}:${Architecture} ${Priority}\n"],
                     check=True, capture_output=True, text=True).stdout
pkgs = [l.split()[0] for l in out.splitlines() if l.split()[1:] in (["required"], ["important"])]


def info_name(pkg, suffix):
    for name in (pkg, pkg.split(":")[0]):
        p = os.path.join(info, name + suffix)
        if os.path.exists(p):
            return p
    return None


def copy(path):
    # through the host's directory symlinks (/lib -> usr/lib): where it really is
    dst = root + os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
    if os.path.lexists(dst) or not os.path.lexists(path):
        return
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    if os.path.islink(path):
        os.symlink(os.readlink(path), dst)
    elif os.path.isdir(path):
        os.makedirs(dst, exist_ok=True)
    elif os.path.isfile(path):
        shutil.copy2(path, dst)


os.makedirs(root + info, exist_ok=True)
names = set()
for pkg in pkgs:
    lst = info_name(pkg, ".list")
    if not lst:
        continue
    names.add(pkg.split(":")[0])
    for line in open(lst, errors="surrogateescape"):
        path = line.rstrip("\n")
        if path and path != "/.":
            copy(path)
    for suffix in (".list", ".md5sums", ".conffiles"):
        p = info_name(pkg, suffix)
        if p:
            shutil.copy2(p, root + info + "/" + os.path.basename(p))
# the status file: the paragraphs of the packages copied
paras = open("/var/lib/dpkg/status", errors="surrogateescape").read().split("\n\n")
kept = [p for p in paras if p.startswith("Package: ") and p.split("\n")[0][9:] in names]
with open(root + "/var/lib/dpkg/status", "w", errors="surrogateescape") as f:
    f.write("\n\n".join(kept) + "\n")
for d in ("proc", "sys", "dev", "run", "tmp", "home", "srv", "root"):
    os.makedirs(os.path.join(root, d), exist_ok=True)
for f in ("/etc/os-release", "/usr/lib/os-release", "/etc/debian_version"):
    copy(f)
with open(root + "/etc/fstab", "w") as f:
    f.write("LABEL=root / ext4 defaults 0 1\n")
with open(root + "/etc/hostname", "w") as f:
    f.write("bench\n")
# the data nobody packaged
rnd = random.Random(42)
for i in range(files):
    d = os.path.join(root, "var/lib/chat", "d%03d" % (i % 100))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%05d" % i), "wb") as f:
        f.write(os.urandom(rnd.randint(512, 8192)))
pg = os.path.join(root, "var/lib/postgresql/15/main")
os.makedirs(pg + "/base/1", exist_ok=True)
for p, n in (("PG_VERSION", 3), ("base/1/PG_VERSION", 3), ("base/1/1259", 8192)):
    with open(os.path.join(pg, p), "wb") as f:
        f.write(b"15\n" if n == 3 else os.urandom(n))
print("%d packages" % len(names))
