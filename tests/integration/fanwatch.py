#!/usr/bin/python3
"""fanwatch.py LOG DIR... -- CMD... - run CMD while fanotify(7) reports each
file under a DIR that any process opens, or opens for writing, and each
program CMD or its descendants execute; LOG gets a line per event,
"open|write|exec PID FILE" ("write": a file opened for writing was
closed). Exits with CMD's status.

Why not strace: ptrace stops qemu at every signal, and a two-vCPU TCG
appliance under it slowed from 15 s to many minutes on a loaded two-core
machine. fanotify watches from outside the processes: nothing of theirs
is slowed, and a child cannot escape it by any exec or fork.

The marks cover every process on the filesystems of the DIRs and of
/usr/bin: the test's files have names only it uses, and exec lines are
kept for CMD's descendants only. A lost event (a queue overflow, which the
unlimited queue should make impossible) is an error: the log would not be
whole."""
import ctypes
import os
import select
import struct
import subprocess
import sys

FAN_CLOEXEC, FAN_NONBLOCK, FAN_UNLIMITED_QUEUE = 0x1, 0x2, 0x10
FAN_MODIFY, FAN_CLOSE_WRITE, FAN_OPEN, FAN_OPEN_EXEC = 0x2, 0x8, 0x20, 0x1000
FAN_Q_OVERFLOW = 0x4000
FAN_MARK_ADD, FAN_MARK_MOUNT = 0x1, 0x10
EVENT = struct.Struct("IBBHQii")
AT_FDCWD = -100

libc = ctypes.CDLL(None, use_errno=True)
libc.fanotify_mark.argtypes = [ctypes.c_int, ctypes.c_uint, ctypes.c_uint64, ctypes.c_int,
                               ctypes.c_char_p]


def check(rc, what):
    if rc < 0:
        e = ctypes.get_errno()
        sys.exit("fanwatch: %s: %s" % (what, os.strerror(e)))
    return rc


def ancestors_include(pid, root):
    """Is root pid itself or an ancestor of it (while pid still lives)?"""
    for _ in range(64):
        if pid == root:
            return True
        try:
            with open("/proc/%d/stat" % pid) as f:
                pid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return False
        if pid <= 1:
            return False
    return False


def under(path, dirs):
    return any(path == d or path.startswith(d.rstrip("/") + "/") for d in dirs)


def drain(fan, out, root, dirs):
    while True:
        try:
            buf = os.read(fan, 1 << 16)
        except BlockingIOError:
            return
        off = 0
        while off < len(buf):
            length, _, _, _, mask, fd, pid = EVENT.unpack_from(buf, off)
            off += length
            if mask & FAN_Q_OVERFLOW:
                sys.exit("fanwatch: events were lost (queue overflow)")
            try:
                path = os.readlink("/proc/self/fd/%d" % fd)
            except OSError:
                path = "?"
            os.close(fd)
            if mask & FAN_OPEN_EXEC:
                if root is None or ancestors_include(pid, root):
                    out.write("exec %d %s\n" % (pid, path))
            if mask & FAN_OPEN and under(path, dirs):
                out.write("open %d %s\n" % (pid, path))
            if mask & (FAN_CLOSE_WRITE | FAN_MODIFY) and under(path, dirs):
                out.write("write %d %s\n" % (pid, path))


def main():
    args = sys.argv[1:]
    if "--" not in args or args.index("--") < 2 or args.index("--") == len(args) - 1:
        sys.exit(__doc__.split("\n")[0])
    log, dirs, cmd = args[0], args[1:args.index("--")], args[args.index("--") + 1:]
    dirs = [os.path.realpath(d) for d in dirs]
    fan = check(libc.fanotify_init(FAN_CLOEXEC | FAN_NONBLOCK | FAN_UNLIMITED_QUEUE,
                                   os.O_RDONLY | os.O_LARGEFILE | os.O_CLOEXEC),
                "fanotify_init")
    for p in dirs + ["/usr/bin"]:
        check(libc.fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_MOUNT,
                                 FAN_OPEN | FAN_OPEN_EXEC | FAN_CLOSE_WRITE | FAN_MODIFY,
                                 AT_FDCWD, os.fsencode(p)), "fanotify_mark " + p)
    with open(log, "w") as out:
        child = subprocess.Popen(cmd)
        while child.poll() is None:
            select.select([fan], [], [], 0.2)
            drain(fan, out, child.pid, dirs)
        # what the last processes did before they ended is queued already
        drain(fan, out, child.pid, dirs)
    sys.exit(child.returncode if child.returncode >= 0 else 128 - child.returncode)


main()
