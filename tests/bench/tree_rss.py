#!/usr/bin/python3
"""tree_rss.py LABEL CMD - run CMD (through sh -c) and print
'LABEL SECONDS PEAK_TREE_RSS_KIB EXIT': the peak of the summed RSS of the
command and all its descendants (qemu-nbd and the sandboxed child
included), sampled every 10 ms from /proc."""
import os
import subprocess
import sys
import time


def children():
    kids = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(pid))
    return kids


def rss(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss(root):
    kids, total, todo = children(), 0, [root]
    while todo:
        pid = todo.pop()
        total += rss(pid)
        todo.extend(kids.get(pid, []))
    return total


label, cmd = sys.argv[1], sys.argv[2]
start = time.monotonic()
proc = subprocess.Popen(["/bin/sh", "-c", cmd])
peak = 0
while proc.poll() is None:
    peak = max(peak, tree_rss(proc.pid))
    time.sleep(0.01)
elapsed = time.monotonic() - start
print(f"{label} {elapsed:.3f} {peak} {proc.returncode}")
