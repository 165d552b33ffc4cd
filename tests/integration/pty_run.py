#!/usr/bin/python3
"""pty_run.py ANSWER [--prompt SUFFIX] [--before SHELL] CMD... - run CMD on a
pseudo-terminal; when its output ends in SUFFIX (': ' by default), run SHELL
(what someone might do while the question waits), then type ANSWER. Prints everything the terminal showed and
exits with CMD's status. The tests use it to check what a person sees."""
import os
import pty
import subprocess
import sys

answer = sys.argv[1].encode() + b"\n"
cmd = sys.argv[2:]
prompt = b": "
before = None
while cmd[0] in ("--prompt", "--before"):
    if cmd[0] == "--prompt":
        prompt = cmd[1].encode()
    else:
        before = cmd[1]
    cmd = cmd[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
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
    if not answered and seen.endswith(prompt):
        if before:
            subprocess.run(before, shell=True, check=True)
        os.write(fd, answer)
        answered = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(seen.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
