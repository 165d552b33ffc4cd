#!/usr/bin/python3
"""first_byte.py CMD... - seconds from starting CMD to its first byte on stdout."""
import subprocess
import sys
import time

start = time.monotonic()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE)
first = proc.stdout.read(1)
elapsed = time.monotonic() - start
proc.stdout.read()
proc.wait()
print(f"{elapsed:.3f}" if first and proc.returncode == 0 else "failed")
