#!/usr/bin/python3
"""pty_run.py ANSWER CMD... - run CMD on a pseudo-terminal; when it prints a
line ending in ': ', type ANSWER. Prints everything the terminal showed and
exits with CMD's status. The tests use it to check what a person sees."""
import os
import pty
import sys

answer = sys.argv[1].encode() + b"\n"
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
seen = b""
answered = False
while True:
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    seen += data
    if not answered and seen.endswith(b": "):
        os.write(fd, answer)
        answered = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(seen.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
