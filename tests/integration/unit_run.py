#!/usr/bin/python3
"""unit_run.py - run a oneshot service's ExecStart= lines as systemd would,
where systemd is not PID 1: the instance's specifiers (%i %n %d %%), the
EnvironmentFile= and Environment= settings, and LoadCredential= files copied
into a fresh credentials directory (mode 0400) exported as
CREDENTIALS_DIRECTORY. Absolute paths the unit names are looked up under
--root; the binaries of /usr/local/bin and /usr/bin under --bin-dir.

unit_run.py UNIT INSTANCE --root DIR --bin-dir DIR --creds DIR
            [--set VAR=VALUE]... [--show]
--set overrides what the unit sets (HOME, say). Exit: the first failing command's status.
"""
import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys


def parse(path):
    sections, cur = {}, None
    with open(path) as f:
        for raw in f:
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                cur = sections.setdefault(line.strip("[]"), [])
                continue
            k, _, v = line.partition("=")
            cur.append((k.strip(), v.strip()))
    return sections


def under(root, path):
    return os.path.join(root, path.lstrip("/")) if root else path


def env_file(path):
    env = {}
    with open(path) as f:
        for raw in f:
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            k, _, v = line.partition("=")
            env[k.strip()] = " ".join(shlex.split(v)) if v.strip() else ""
    return env


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("unit")
    ap.add_argument("instance")
    ap.add_argument("--root", default="")
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--creds", required=True)
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--show", action="store_true")
    a = ap.parse_args()

    name = os.path.basename(a.unit).replace("@.", "@%s." % a.instance)
    spec = {"i": a.instance, "I": a.instance, "n": name, "d": a.creds, "%": "%"}

    def specifiers(s):
        return re.sub(r"%(.)", lambda m: spec[m.group(1)], s)

    svc = parse(a.unit).get("Service", [])
    env = {"PATH": "/usr/bin:/bin", "CREDENTIALS_DIRECTORY": a.creds}
    for k in ("LANG", "TZ"):
        if k in os.environ:
            env[k] = os.environ[k]
    os.makedirs(a.creds, exist_ok=True)
    os.chmod(a.creds, 0o700)
    cmds, files = [], {}
    for k, v in svc:
        if k == "EnvironmentFile":
            optional = v.startswith("-")
            p = under(a.root, v.lstrip("-"))
            if os.path.exists(p) or not optional:
                files.update(env_file(p))
        elif k == "Environment":
            for word in shlex.split(specifiers(v)):
                ek, _, ev = word.partition("=")
                env[ek] = ev
        elif k == "LoadCredential":
            cid, _, src = v.partition(":")
            dst = os.path.join(a.creds, cid)
            shutil.copyfile(under(a.root, src), dst)
            os.chmod(dst, 0o400)
        elif k == "ExecStart":
            cmds.append(v)
    # what the files set overrides Environment=, wherever the lines are
    env.update(files)
    for kv in a.set:
        k, _, v = kv.partition("=")
        env[k] = v
    rc = 0
    for c in cmds:
        argv = []
        for word in shlex.split(specifiers(c.lstrip("-@:+!"))):
            m = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", word)
            if m:
                argv.extend(env.get(m.group(1), "").split())
            else:
                argv.append(re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}",
                                   lambda mm: env.get(mm.group(1), ""), word))
        for d in ("/usr/local/bin/", "/usr/bin/"):
            if argv[0].startswith(d):
                argv[0] = os.path.join(a.bin_dir, argv[0][len(d):])
        if a.show:
            print("+ " + " ".join(shlex.quote(w) for w in argv), flush=True)
        rc = subprocess.call(argv, env=env, stdin=subprocess.DEVNULL)
        if rc != 0:
            break
    shutil.rmtree(a.creds, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
