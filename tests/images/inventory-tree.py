#!/usr/bin/python3
"""inventory-tree.py OUT.img debian|arch|data - a disk for the inventory tests.

debian: a Debian-shaped root (merged /usr) with a small but real dpkg
database: packages whose .list files name real files, a conffile changed
and one missing, a diverted file, an alternatives symlink; unowned roots of
every kind; noise that must be ignored. arch: the same shape with a pacman
database. data: a GPT disk with two filesystems and no OS.

Every file has a fixed size and mtime, so the inventory is exact. Built
with mke2fs -d: no appliance, no root needed for the tree."""
import hashlib
import os
import subprocess
import sys
import tempfile

T = 1764000000          # 2025-11-24T16:00:00Z, every file's mtime unless given
NEW = 1764500000        # newer, for the roots whose newest file is asserted


def put(root, path, data=b"", size=None, mtime=T, mode=0o644):
    full = os.path.join(root, path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    if size is not None:
        data = (data + b"x" * size)[:size]
    with open(full, "wb") as f:
        f.write(data)
    os.chmod(full, mode)
    os.utime(full, (mtime, mtime))
    return data


def link(root, path, target):
    full = os.path.join(root, path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    os.symlink(target, full)
    os.utime(full, (T, T), follow_symlinks=False)


def mkdir(root, path):
    os.makedirs(os.path.join(root, path.lstrip("/")), exist_ok=True)


def md5(b):
    return hashlib.md5(b).hexdigest()


SQLITE = b"SQLite format 3\0" + b"\x10\x00\x01\x01"
SSHD = "Port 22\nPermitRootLogin no\n"
CRONTAB = "SHELL=/bin/sh\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n"


def os_common(r):
    """What both distributions share: the unowned data and the noise."""
    for d in ("proc", "sys", "dev", "run", "tmp", "mnt"):
        mkdir(r, d)
    link(r, "/bin", "usr/bin")
    link(r, "/sbin", "usr/sbin")
    link(r, "/lib", "usr/lib")
    put(r, "/etc/hostname", "chat-01\n")
    put(r, "/etc/fstab", "LABEL=root / ext4 defaults 0 1\n/swapfile none swap sw 0 0\n")
    put(r, "/usr/bin/sh", size=1200)
    put(r, "/usr/bin/ls", size=1500)
    # unowned data: one root of every kind
    put(r, "/var/lib/traq/data/a.bin", size=3000)
    put(r, "/var/lib/traq/data/b.bin", size=5000, mtime=NEW)
    put(r, "/var/lib/traq/state.json", size=100)
    put(r, "/var/lib/postgresql/15/main/PG_VERSION", "15\n")
    put(r, "/var/lib/postgresql/15/main/base/1/PG_VERSION", "15\n")
    put(r, "/var/lib/postgresql/15/main/base/1/1259", size=8192)
    put(r, "/var/lib/postgresql/15/main/global/pg_control", size=8192)
    put(r, "/var/lib/mysql/ibdata1", size=12345)
    put(r, "/var/lib/mysql/app/users.ibd", size=4096)
    put(r, "/var/lib/redis/dump.rdb", b"REDIS0011" + b"\0" * 91)
    put(r, "/var/lib/elasticsearch/nodes/0/_state/global-1.st", size=300)
    put(r, "/var/lib/elasticsearch/nodes/0/indices/x1/0/index/_0.cfs", size=700)
    put(r, "/var/lib/docker/volumes/traq_db/_data/pg.dat", size=2000)
    put(r, "/var/lib/docker/volumes/traq_uploads/_data/u1.png", size=1000)
    put(r, "/var/lib/docker/volumes/traq_uploads/_data/u2.png", size=1000)
    put(r, "/srv/app/uploads/img1.png", size=600)
    put(r, "/srv/app/uploads/2026/img2.png", size=400, mtime=NEW)
    put(r, "/opt/traq/bin/traq", size=50000)
    put(r, "/opt/traq/share/README", size=500)
    put(r, "/home/alice/.bashrc", size=220)
    put(r, "/home/alice/docs/report.txt", size=1000)
    put(r, "/home/alice/notes.sqlite", SQLITE, size=2048)
    put(r, "/root/.ssh/authorized_keys", size=90)
    put(r, "/var/log/traq/app.log", size=777)
    put(r, "/var/log/syslog", size=333)
    put(r, "/usr/local/bin/traq-backup", size=250, mode=0o755)
    put(r, "/etc/traq/config.yml", "db: postgres://localhost/traq\n")
    put(r, "/etc/cron.d/traq-backup", "0 3 * * * root /usr/local/bin/traq-backup\n")
    put(r, "/var/spool/cron/crontabs/alice", "@daily /home/alice/bin/sync\n")
    # a persistent timer whose service reboots, through a script
    put(r, "/etc/systemd/system/nightly-reboot.timer",
        "[Unit]\nDescription=reboot nightly\n\n[Timer]\nOnCalendar=*-*-* 04:00\n"
        "Persistent=true\n\n[Install]\nWantedBy=timers.target\n")
    put(r, "/etc/systemd/system/nightly-reboot.service",
        "[Unit]\nDescription=maintenance\n\n[Service]\nType=oneshot\n"
        "ExecStart=/usr/local/sbin/maintenance.sh\n")
    put(r, "/usr/local/sbin/maintenance.sh",
        "#!/bin/sh\n# rotate, then restart everything\n/usr/local/bin/traq-backup\n"
        "/sbin/shutdown -r now\n", mode=0o755)
    link(r, "/etc/systemd/system/timers.target.wants/nightly-reboot.timer",
         "/etc/systemd/system/nightly-reboot.timer")
    # a persistent timer that does not reboot: no warning
    put(r, "/etc/systemd/system/fstrim-all.timer",
        "[Timer]\nOnCalendar=weekly\nPersistent=yes\n")
    put(r, "/etc/systemd/system/fstrim-all.service",
        "[Service]\nExecStart=/sbin/fstrim --all\n")
    # noise: volatile trees, caches, generated state, the package database
    put(r, "/tmp/junk", size=5000)
    put(r, "/var/tmp/session", size=5000)
    put(r, "/var/cache/traq/big.cache", size=90000)
    put(r, "/run/traq.pid", "42\n")
    put(r, "/swapfile", size=65536, mode=0o600)
    put(r, "/etc/machine-id", "0123456789abcdef0123456789abcdef\n")
    put(r, "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
    put(r, "/etc/shadow", "root:*:19000:0:99999:7:::\n", mode=0o600)
    put(r, "/etc/ssh/ssh_host_ed25519_key", size=400, mode=0o600)
    put(r, "/var/lib/systemd/random-seed", size=512)
    put(r, "/usr/lib/python3/dist-packages/__pycache__/x.cpython-311.pyc", size=900)
    put(r, "/boot/initrd.img-6.1.0-28-amd64", size=3000)


def debian(r):
    os_common(r)
    put(r, "/etc/os-release", 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'
        'NAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n')
    put(r, "/etc/debian_version", "12.8\n")
    sshd = put(r, "/etc/ssh/sshd_config", SSHD + "PasswordAuthentication no\n")  # changed
    crontab = put(r, "/etc/crontab", CRONTAB)                                       # as shipped
    nginx = put(r, "/etc/nginx/nginx.conf", "events {}\n")
    put(r, "/usr/sbin/sshd", size=4000)
    put(r, "/usr/sbin/cron", size=3000)
    put(r, "/usr/sbin/nginx", size=6000)
    put(r, "/usr/bin/nano", size=2500)
    put(r, "/usr/lib/systemd/system/ssh.service", "[Service]\nExecStart=/usr/sbin/sshd -D\n")
    put(r, "/usr/lib/systemd/system/apt-daily.timer", "[Timer]\nOnCalendar=daily\nPersistent=true\n")
    put(r, "/usr/lib/systemd/system/apt-daily.service",
        "[Service]\nExecStart=/usr/lib/apt/apt.systemd.daily update\n")
    put(r, "/var/www/html/index.nginx-debian.html", size=615)
    put(r, "/var/www/html/uploads/photo.jpg", size=4321)
    # a diverted file: the package's original now lives at .distrib
    put(r, "/usr/bin/tool", size=100)
    put(r, "/usr/bin/tool.distrib", size=200)
    # alternatives: the master link and its target under /etc/alternatives
    link(r, "/etc/alternatives/editor", "/usr/bin/nano")
    link(r, "/usr/bin/editor", "/etc/alternatives/editor")
    info = "/var/lib/dpkg/info/"
    lists = {
        "base-files": ["/.", "/etc", "/etc/os-release", "/etc/debian_version", "/home", "/srv",
                       "/opt", "/var", "/var/lib", "/var/log", "/var/spool", "/usr",
                       "/usr/bin", "/usr/sbin", "/usr/lib", "/usr/local", "/root"],
        "coreutils": ["/bin", "/bin/ls"],           # merged /usr: really /usr/bin/ls
        "dash": ["/bin/sh"],
        "openssh-server": ["/etc/ssh", "/etc/ssh/sshd_config", "/usr/sbin/sshd",
                           "/lib/systemd/system/ssh.service"],
        "cron": ["/etc/cron.d", "/etc/crontab", "/usr/sbin/cron", "/var/spool/cron",
                 "/var/spool/cron/crontabs"],
        "e2fsprogs": ["/etc/cron.d/e2scrub_all"],   # a conffile the admin deleted
        "nginx": ["/etc/nginx", "/etc/nginx/nginx.conf", "/usr/sbin/nginx", "/var/www",
                  "/var/www/html", "/var/www/html/index.nginx-debian.html"],
        "apt": ["/lib/systemd/system/apt-daily.timer", "/lib/systemd/system/apt-daily.service"],
        "tool": ["/usr/bin/tool"],
        "nano": ["/usr/bin/nano"],
    }
    for pkg, paths in lists.items():
        put(r, info + pkg + ".list", "".join(p + "\n" for p in paths))
    put(r, info + "nano.md5sums", md5(b"x" * 2500) + "  usr/bin/nano\n")
    put(r, "/var/lib/dpkg/diversions", "/usr/bin/tool\n/usr/bin/tool.distrib\ntool-wrapper\n")
    put(r, "/var/lib/dpkg/alternatives/editor",
        "auto\n/usr/bin/editor\neditor.1.gz\n/usr/share/man/man1/editor.1.gz\n\n"
        "/usr/bin/nano\n40\n/usr/share/man/man1/nano.1.gz\n\n")
    status = []
    conffiles = {
        "openssh-server": [("/etc/ssh/sshd_config", md5(SSHD.encode()))],
        "cron": [("/etc/crontab", md5(crontab))],
        "e2fsprogs": [("/etc/cron.d/e2scrub_all", md5(b"gone"))],
        "nginx": [("/etc/nginx/nginx.conf", md5(nginx)),
                  ("/etc/nginx/old.conf", md5(b"old") + " obsolete")],
    }
    for pkg in lists:
        para = ["Package: " + pkg, "Status: install ok installed", "Architecture: amd64",
                "Version: 1.0"]
        if pkg in conffiles:
            para.append("Conffiles:")
            para += [" %s %s" % c for c in conffiles[pkg]]
        para.append("Description: " + pkg)
        status.append("\n".join(para) + "\n")
    # removed long ago, its configuration kept and since deleted: not "missing"
    status.append("Package: oldpkg\nStatus: deinstall ok config-files\nVersion: 0.1\n"
                  "Conffiles:\n /etc/oldpkg.conf " + md5(b"old") + "\n")
    put(r, "/var/lib/dpkg/status", "\n".join(status))
    del sshd


def arch(r):
    os_common(r)
    put(r, "/etc/os-release", 'NAME="Arch Linux"\nPRETTY_NAME="Arch Linux"\nID=arch\n'
        'BUILD_ID=rolling\n')
    put(r, "/etc/arch-release", "")
    put(r, "/etc/ssh/sshd_config", SSHD + "PasswordAuthentication no\n")  # changed
    pacman = put(r, "/etc/pacman.conf", "[options]\nArchitecture = auto\n")
    put(r, "/usr/bin/sshd", size=4000)
    put(r, "/usr/bin/bash", size=9000)
    put(r, "/srv/http/index.html", size=300)
    put(r, "/etc/pacman.d/gnupg/pubring.gpg", size=800)
    local = "/var/lib/pacman/local/"
    put(r, local + "ALPM_DB_VERSION", "9\n")
    pkgs = {
        "filesystem-2024.11.21-1": ("filesystem", ["etc/", "etc/os-release", "etc/arch-release",
                                                   "home/", "srv/", "srv/http/", "opt/",
                                                   "var/", "var/lib/", "var/log/", "var/spool/",
                                                   "usr/", "usr/bin/", "usr/lib/", "root/"], []),
        "openssh-9.9p1-2": ("openssh", ["etc/ssh/", "etc/ssh/sshd_config", "usr/bin/sshd"],
                            [("etc/ssh/sshd_config", md5(SSHD.encode()))]),
        "pacman-7.0.0-1": ("pacman", ["etc/pacman.conf"], [("etc/pacman.conf", md5(pacman))]),
        "bash-5.2.037-1": ("bash", ["usr/bin/bash", "usr/bin/sh", "usr/bin/ls"], []),
        "cronie-1.7.2-1": ("cronie", ["etc/cron.d/", "var/spool/cron/"], []),
    }
    for d, (name, files, backup) in pkgs.items():
        put(r, local + d + "/desc", "%%NAME%%\n%s\n\n%%VERSION%%\n%s\n\n" % (name, d))
        text = "%FILES%\n" + "".join(f + "\n" for f in files) + "\n"
        if backup:
            text += "%BACKUP%\n" + "".join("%s\t%s\n" % b for b in backup) + "\n"
        put(r, local + d + "/files", text)


def data(r1, r2):
    put(r1, "/todo.txt", "ops notes\n")
    put(r1, "/photos/a.jpg", size=1500)
    put(r1, "/photos/2026/b.jpg", size=2500, mtime=NEW)
    put(r2, "/pgdata/PG_VERSION", "16\n")
    put(r2, "/pgdata/base/5/PG_VERSION", "16\n")
    put(r2, "/pgdata/base/5/16384", size=8192)
    put(r2, "/lib/chat/icons/u1.png", size=1000)
    put(r2, "/lib/chat/icons/u2.png", size=1100)


def mkfs(src, out, label, offset=None, size_k=65536):
    args = ["mke2fs", "-q", "-F", "-t", "ext4", "-L", label, "-d", src]
    if offset is not None:
        args += ["-E", "offset=%d" % offset]
    subprocess.run(args + [out, "%dk" % size_k], check=True)


def main():
    out, shape = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        r = os.path.join(tmp, "root")
        os.mkdir(r)
        if shape in ("debian", "arch"):
            (debian if shape == "debian" else arch)(r)
            with open(out, "wb") as f:
                f.truncate(64 << 20)
            mkfs(r, out, "root")
            return
        r2 = os.path.join(tmp, "root2")
        os.mkdir(r2)
        data(r, r2)
        raw = out
        with open(raw, "wb") as f:
            f.truncate(80 << 20)
        subprocess.run(["sgdisk", "-n", "1:2048:+30M", "-t", "1:8300", "-n", "2:0:0",
                        "-t", "2:8300", raw], check=True, stdout=subprocess.DEVNULL)
        # partition 1 from sector 2048, 30 MiB; partition 2 right after
        mkfs(r, raw, "photos", 2048 * 512, 30 * 1024)
        mkfs(r2, raw, "db", (2048 + 30 * 2048) * 512, 40 * 1024)


if __name__ == "__main__":
    main()
