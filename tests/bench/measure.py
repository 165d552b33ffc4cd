#!/usr/bin/python3
"""measure.py LABEL CMD... - run CMD (through sh -c), print
'LABEL SECONDS PEAK_RSS_KIB EXIT' on one line. Peak RSS is the largest of
the command's processes, from wait4's rusage."""
import os
import subprocess
import sys
import time

label, cmd = sys.argv[1], sys.argv[2]
start = time.monotonic()
proc = subprocess.Popen(["/bin/sh", "-c", cmd])
_, status, usage = os.wait4(proc.pid, 0)
elapsed = time.monotonic() - start
peak = max(usage.ru_maxrss, __import__("resource").getrusage(
    __import__("resource").RUSAGE_CHILDREN).ru_maxrss)
print(f"{label} {elapsed:.3f} {peak} {os.waitstatus_to_exitcode(status)}")
