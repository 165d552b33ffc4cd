#!/usr/bin/python3
"""interrupt.py - retire, killed (SIGKILL) at every request it makes and in
the middle of its download, then, between runs, each thing an unlucky
operator might do; then run again to the end. Invariant, checked by the test
cloud at the moment of every DELETE: a server is deleted only if a local
regular file exists whose bytes hash to that server's own, active,
post-stop image. Kill points are chosen by counting requests at the test
cloud (a fault holds the Nth request), never by sleeping.

Environment: LIFEBOAT_BIN, CLOUD_URL, CERTS, WORK and the OS_* of the demo
user (tests/integration/lib.sh). Prints the combinations tried; exit 1 on
any violation."""
import http.client
import json
import os
import shutil
import ssl
import subprocess
import sys
import time
import urllib.parse

SNAP = os.path.join(os.environ["LIFEBOAT_BIN"], "lifeboat-snap")
CLOUD = os.environ["CLOUD_URL"]
WORK = os.environ["WORK"]
CTX = ssl.create_default_context(cafile=os.path.join(os.environ["CERTS"], "ca.crt"))
DISK = os.path.join(WORK, "disk.img")
MUTATIONS = ["nothing", "delete FILE", "corrupt FILE", "delete the image",
             "start the server", "rename the server", "name to a new server"]


_conn = None


def _call(method, what, body):
    """One kept-alive connection to the control API: a TLS handshake per
    call would be most of this test's time."""
    global _conn
    for attempt in (1, 2):
        if _conn is None:
            u = urllib.parse.urlsplit(CLOUD)
            _conn = http.client.HTTPSConnection(u.hostname, u.port, context=CTX, timeout=60)
        try:
            data = json.dumps(body).encode() if body is not None else None
            _conn.request(method, "/_test/" + what, body=data,
                          headers={"Content-Type": "application/json"})
            r = _conn.getresponse()
            return json.loads(r.read())
        except (http.client.HTTPException, OSError):
            _conn.close()
            _conn = None
            if attempt == 2:
                raise


def ctl(what, body=None):
    return _call("POST", what, body if body is not None else {})


def ctl_get(what):
    return _call("GET", what, None)


def retire(arg, f, kill=None):
    """Run retire; with kill (a fault rule), SIGKILL it once the cloud holds
    the request the rule names. Returns ("killed", None) or ("ran", rc)."""
    if kill:
        ctl("faults", {"rules": [kill]})
    with open(os.path.join(WORK, "run.log"), "ab") as log:
        p = subprocess.Popen([SNAP, "retire", arg, "--download", f, "--stop", "--yes"],
                             stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        try:
            while kill:
                if ctl("wait-hang", {"timeout": 0.02})["hung"]:
                    p.kill()
                    p.wait()
                    return "killed", None
                if p.poll() is not None:
                    break
            return "ran", p.wait(timeout=120)
        finally:
            if kill:
                ctl("release")


class Case:
    n = 0

    def __init__(self):
        Case.n += 1
        self.name = "i%d" % Case.n
        self.file = os.path.join(WORK, "int", self.name + ".qcow2")
        srv = ctl("servers", {"name": self.name, "disk": DISK})["server"]
        self.id = srv["id"]
        ctl("guard", {"server_id": self.id, "path": self.file})

    def receipt(self):
        try:
            with open(self.file + ".retire.json") as f:
                return json.load(f)
        except FileNotFoundError:
            return {}

    def server(self):
        for s in ctl_get("state")["servers"]:
            if s["id"] == self.id:
                return s
        return None

    def mutate(self, what):
        """Do it; False when it cannot apply (nothing to act on)."""
        srv = self.server()
        if what == "nothing":
            return True
        if what == "delete FILE":
            if not os.path.exists(self.file):
                return False
            os.unlink(self.file)
            return True
        if what == "corrupt FILE":
            if not os.path.exists(self.file) or os.path.getsize(self.file) == 0:
                return False
            with open(self.file, "r+b") as f:
                f.seek(777)
                b = f.read(1)
                f.seek(777)
                f.write(bytes([b[0] ^ 0xFF]))
            return True
        if what == "delete the image":
            iid = self.receipt().get("image_id")
            if not iid:
                return False
            ctl("image-delete", {"id": iid})
            return True
        if srv is None:
            return False
        if what == "start the server":
            if srv["status"] != "SHUTOFF":
                return False
            ctl("server-action", {"id": self.id, "action": "start"})
            return True
        if what == "rename the server":
            ctl("server-update", {"id": self.id, "name": self.name + "-renamed"})
            return True
        if what == "name to a new server":
            ctl("server-update", {"id": self.id, "name": self.name + "-old"})
            self.newcomer = ctl("servers", {"name": self.name, "disk": DISK})["server"]["id"]
            return True
        raise ValueError(what)


def count_requests_of_a_whole_run():
    case = Case()
    ctl("reset-requests")
    how, rc = retire(case.name, case.file)
    assert (how, rc) == ("ran", 0), "a plain retire failed: %s" % rc
    reqs = ctl_get("requests")["requests"]
    return [(r["method"], r["path"]) for r in reqs]


def check(case, bound, problems, label):
    """bound: the receipt named the server before the meddling. Then only
    that server may go; before, the name is all retire was given, and it
    retires what the name names now (the newcomer), verified all the same."""
    newcomer = getattr(case, "newcomer", None)
    alive = {s["id"] for s in ctl_get("state")["servers"]}
    if newcomer and bound and newcomer not in alive:
        problems.append("%s: the newcomer that took the name was deleted" % label)
    if newcomer and not bound:
        if newcomer in alive:
            problems.append("%s: the server named in a fresh retire was not retired" % label)
        if case.id not in alive:
            problems.append("%s: a server no receipt named was deleted" % label)
    elif case.id in alive:
        problems.append("%s: the server was not retired in the end" % label)


def main():
    os.makedirs(os.path.join(WORK, "int"), exist_ok=True)
    ctl("config", {"mode": "stock", "save_delay": 0, "transition_s": 0, "next_save": []})
    started = time.time()
    seq = count_requests_of_a_whole_run()
    # every request, killed before the cloud acts on it; the ones that
    # change something, also after it acted but before it answered; and
    # the download, half sent
    points = [({"path": "", "action": "hang", "skip": i, "times": 1},
               "before request %d (%s %s)" % (i + 1, m, p)) for i, (m, p) in enumerate(seq)]
    points += [({"path": "", "action": "hang_after", "skip": i, "times": 1},
                "after request %d (%s %s), unanswered" % (i + 1, m, p))
               for i, (m, p) in enumerate(seq) if m != "GET" and "/identity/" not in p]
    points.append(({"path": "/file$", "action": "hang_mid", "times": 1},
                   "in the middle of the download"))
    problems, tried, skipped, kills = [], 0, 0, 0
    for rule, where in points:
        for what in MUTATIONS:
            case = Case()
            how, rc = retire(case.name, case.file, rule)
            kills += how == "killed"
            bound = bool(case.receipt().get("server", {}).get("id"))
            if not case.mutate(what):
                skipped += 1  # the same as "nothing", which is run anyway
                continue
            tried += 1
            label = "killed %s, then %s" % (where, what)
            how, rc = retire(case.name, case.file)
            if rc != 0 and bound:
                # refused (the name names another server, or none): by id
                how, rc = retire(case.id, case.file)
            if rc != 0 and not bound and what == "rename the server":
                how, rc = retire(case.id, case.file)
            if rc != 0:
                problems.append("%s: the rerun ended %s" % (label, rc))
            check(case, bound, problems, label)
    deletes = ctl_get("deletes")["deletes"]
    bad = [d for d in deletes if not d["ok"]]
    for d in bad:
        problems.append("server %s deleted without a verified copy: %s" % (d["name"], d["why"]))
    print("interruption matrix: %d requests in a whole retire, %d kill points x %d "
          "mutations: %d combinations run (%d more did not apply), %d runs killed, "
          "%d deletes checked, %d violations, %.0f s"
          % (len(seq), len(points), len(MUTATIONS), tried, skipped, kills, len(deletes),
             len(bad), time.time() - started))
    for p in problems[:20]:
        print("  " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
