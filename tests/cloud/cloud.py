#!/usr/bin/python3
"""A local OpenStack test cloud for lifeboat's tests: Keystone v3 and v2.0,
Nova, Cinder and Glance, as ConoHa and stock OpenStack serve them, with
fault injection. Standard library only; binds 127.0.0.1."""

import argparse
import base64
import io
import hashlib
import json
import os
import re
import shutil
import socket
import ssl
import sys
import threading
import time
import uuid
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

USERS = {
    # name -> (id, password, domain id)
    "demo": ("u-demo", "demo-secret", "default"),
    "conoha": ("u-conoha", "conoha-secret", "default"),
}
PROJECTS = {"demo": "p-demo", "conoha": "p-conoha"}
APP_CREDS = {"ac-demo": ("demo-app", "u-demo", "ac-secret", "p-demo")}


class Cloud:
    """All state, guarded by one lock: the handlers are threads."""

    def __init__(self, mode, state_dir):
        self.lock = threading.RLock()
        self.mode = mode  # stock, conoha-v2, conoha-v3
        self.state_dir = state_dir
        self.tokens = {}
        self.token_ttl = 3600
        self.reported_ttl = None  # expires_at shown to the client, if not the real one
        self.page_size = 1000
        self.regions = ["RegionOne"]
        self.transition_s = 0.3
        self.faults = []
        self.requests = []
        self.token_issues = 0
        self.servers = {}
        self.images = {}
        self.volumes = {}
        self.image_quota_gb = 50
        self.save_delay = 1.0
        self.next_save = []  # outcomes for the next saves: active, killed, none
        self.saves_max = 0    # most createImage saves seen in progress at once
        self.flavors = {"g-1gb": 50, "g2l-t-c2m1": 100}
        self.base_url = None
        self.guards = {}      # server id -> local file that must hold its image at delete
        self.deletes = []     # what each guarded delete found
        self.hung = []        # requests held by a hang fault
        self.hang_event = threading.Condition(self.lock)
        self.release = threading.Event()

    # ---- tokens -------------------------------------------------------
    def issue_token(self, user_id, project_id):
        token = "tok-" + uuid.uuid4().hex
        expires = time.time() + self.token_ttl
        self.tokens[token] = (expires, user_id, project_id)
        self.token_issues += 1
        shown = expires if self.reported_ttl is None else time.time() + self.reported_ttl
        return token, shown

    def check_token(self, token):
        entry = self.tokens.get(token or "")
        return entry is not None and entry[0] > time.time()

    # ---- catalog ------------------------------------------------------
    def catalog_urls(self, project_id):
        b = self.base_url
        compute = f"{b}/compute/v2/{project_id}" if self.mode == "conoha-v2" else f"{b}/compute/v2.1"
        return {
            "identity": ("keystone", f"{b}/identity"),
            "compute": ("nova", compute),
            "image": ("glance", f"{b}/image"),
            "volumev3": ("cinderv3", f"{b}/volume/v3/{project_id}"),
        }

    def region_url(self, url, region, iface="public"):
        """Every region and interface is served here; the path tells them apart."""
        b = self.base_url
        rest = url[len(b):]
        if iface == "internal":
            rest = "/internal" + rest
        if region != self.regions[0]:
            rest = f"/r/{region}" + rest
        return b + rest

    def catalog_v3(self, project_id):
        out = []
        for stype, (name, url) in self.catalog_urls(project_id).items():
            eps = [{"id": uuid.uuid4().hex, "interface": iface, "region_id": region,
                    "region": region, "url": self.region_url(url, region, iface)}
                   for region in self.regions for iface in ("public", "internal")]
            out.append({"type": stype, "name": name, "id": uuid.uuid4().hex, "endpoints": eps})
        return out

    def catalog_v2(self, project_id):
        out = []
        for stype, (name, url) in self.catalog_urls(project_id).items():
            eps = [{"region": r, "publicURL": self.region_url(url, r)} for r in self.regions]
            out.append({"type": stype, "name": name, "endpoints": eps,
                        "endpoints_links": []})
        return out

    # ---- faults -------------------------------------------------------
    def take_fault(self, method, path):
        for rule in self.faults:
            if rule.get("method") and rule["method"] != method:
                continue
            if not re.search(rule.get("path", ""), path):
                continue
            if rule.get("skip", 0) > 0:
                rule["skip"] -= 1
                continue
            if rule.get("times", 1) <= 0:
                continue
            rule["times"] = rule.get("times", 1) - 1
            return rule
        return None

    # ---- time-driven state -------------------------------------------
    def tick(self):
        now = time.time()
        for sid in [s for s, v in self.servers.items() if v.get("_gone_at", now + 1) <= now]:
            # a boot volume survives its server, as on ConoHa VPS 3.0
            for vid in self.servers[sid].get("_volumes", []):
                vol = self.volumes[vid]
                vol["status"] = "detaching"
                vol["attachments"] = []
                vol["_due"] = now + self.transition_s
                vol["_next_status"] = "available"
            del self.servers[sid]
        for srv in self.servers.values():
            due = srv.get("_due")
            if due and now >= due:
                srv["status"] = srv.pop("_next_status")
                srv["OS-EXT-STS:task_state"] = None
                srv.pop("_due")
        for img in self.images.values():
            self.tick_image(img, now)
        self.count_saves()
        for vol in self.volumes.values():
            due = vol.get("_due")
            if due and now >= due:
                vol["status"] = vol.pop("_next_status")
                vol.pop("_due")

    def tick_image(self, img, now):
        plan = img.get("_plan")
        if not plan:
            return
        while plan and now >= plan[0][0]:
            _, status = plan.pop(0)
            img["status"] = status
            if status == "active" and img.get("_source"):
                self.finish_image_file(img)
            if status in ("saving", "uploading"):
                img["size"] = None

    def count_saves(self):
        """Nova saves not yet ended, as a request sees them; the peak is kept."""
        n = sum(1 for i in self.images.values() if i.get("_server_id") and i.get("_plan"))
        self.saves_max = max(self.saves_max, n)
        return n

    def finish_image_file(self, img):
        src = img.pop("_source")
        dst = os.path.join(self.state_dir, "images", img["id"])
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(src, dst)
        img["_file"] = dst
        md5, sha = hashlib.md5(), hashlib.sha512()
        with open(dst, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                md5.update(chunk)
                sha.update(chunk)
        img["size"] = os.path.getsize(dst)
        img["checksum"] = md5.hexdigest()
        img["os_hash_algo"] = "sha512"
        img["os_hash_value"] = sha.hexdigest()
        img["updated_at"] = iso(time.time())

    def add_image(self, name, source, props, delay, final="active"):
        iid = str(uuid.uuid4())
        now = time.time()
        img = {"id": iid, "name": name, "status": "queued", "visibility": "private",
               "disk_format": "qcow2", "container_format": "bare", "size": None,
               "checksum": None, "os_hash_algo": None, "os_hash_value": None,
               "created_at": iso(now), "updated_at": iso(now), "tags": [],
               "owner": "p-demo", "min_disk": 0, "min_ram": 0, "protected": False,
               "_source": source}
        img.update(props)
        img["_plan"] = [(now + delay * 0.3, "saving"), (now + delay, final)]
        if final != "active":
            img.pop("_source")
        self.images[iid] = img
        return img


def _seed_image(self, spec):
    now = time.time()
    iid = spec.get("id") or str(uuid.uuid4())
    img = {"id": iid, "name": spec.get("name", "seed"), "status": spec.get("status", "active"),
           "disk_format": "qcow2", "container_format": "bare",
           "size": spec.get("size", 1000), "checksum": spec.get("checksum"),
           "os_hash_algo": spec.get("os_hash_algo"), "os_hash_value": spec.get("os_hash_value"),
           "created_at": spec.get("created_at", iso(now)), "updated_at": iso(now),
           "tags": [], "owner": spec.get("owner", "p-demo"), "min_disk": 0, "min_ram": 0,
           "protected": False, "visibility": spec.get("visibility", "private")}
    img.update(spec.get("properties", {}))
    self.images[iid] = img
    return img


def _over_quota(self, disk_gb):
    # ConoHa counts the project's own images, not the public ones it sees
    used = sum(i.get("size") or 0 for i in self.images.values() if i.get("owner") == "p-demo")
    return used + disk_gb * 10**9 > self.image_quota_gb * 10**9


def _save(self, name, source, props, disk_gb, server=None):
    """Start saving a disk; returns the image id. The outcome of each save
    can be set beforehand: active (default), killed, or none - ConoHa's
    over-quota behaviour, where a save is accepted and nothing happens."""
    outcome = self.next_save.pop(0) if self.next_save else "active"
    if self.mode.startswith("conoha") and _over_quota(self, disk_gb):
        outcome = "none"
    if outcome == "none":
        return str(uuid.uuid4())
    img = self.add_image(name, source, props, self.save_delay, final=outcome)
    if server is not None:
        img["disk_format"] = server.get("_disk_format", "qcow2")
        img["_server_id"] = server["id"]
        img["_taken_while"] = server["status"]
        img["_taken_at"] = time.time()
    self.count_saves()
    return img["id"]


Cloud.seed_image = _seed_image
Cloud.save = _save


def record_action(srv, action):
    srv.setdefault("_actions", []).append({
        "action": action, "start_time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        + ".%06d" % int((time.time() % 1) * 1e6),
        "request_id": "req-" + uuid.uuid4().hex[:12], "_t": time.time()})


def post_stop_image_of(c, srv, sha):
    """The active image of srv whose bytes hash to sha, saved while srv was
    stopped and with no start of srv since; None when there is none."""
    for img in c.images.values():
        if img.get("status") != "active" or img.get("os_hash_value") != sha:
            continue
        if img.get("lifeboat.server_id") != srv["id"] or img.get("_server_id") != srv["id"]:
            continue
        if img.get("_taken_while") != "SHUTOFF":
            continue
        started = [a for a in srv.get("_actions", [])
                   if a["action"] == "start" and a["_t"] > img["_taken_at"]]
        if not started:
            return img
    return None


def check_guarded_delete(c, srv):
    path = c.guards.get(srv["id"])
    if path is None:
        return
    why = None
    try:
        st = os.lstat(path)
        import stat as stat_
        if not stat_.S_ISREG(st.st_mode):
            why = "not a regular file"
        else:
            with open(path, "rb") as f:
                sha = hashlib.sha512(f.read()).hexdigest()
            if post_stop_image_of(c, srv, sha) is None:
                why = "no active post-stop image of this server has these bytes"
    except FileNotFoundError:
        why = "no local file"
    c.deletes.append({"server_id": srv["id"], "name": srv["name"], "ok": why is None,
                      "why": why})


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def public_image(img):
    return {k: v for k, v in img.items() if not k.startswith("_")}


def public_server(srv):
    return {k: v for k, v in srv.items() if not k.startswith("_")}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "lifeboat-testcloud"
    cloud = None
    close_always = False

    def setup(self):
        super().setup()
        # headers and body go out in two writes: without this, Nagle and
        # the client's delayed ACK add 40 ms to every answer
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):
        if os.environ.get("CLOUD_VERBOSE"):
            sys.stderr.write("cloud: " + (fmt % args) + "\n")

    # ---- plumbing -----------------------------------------------------
    def body_json(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except ValueError:
            return None

    def send(self, status, obj=None, headers=None, raw=None):
        body = raw if raw is not None else (b"" if obj is None else json.dumps(obj).encode())
        self.send_response(status)
        self.send_header("x-openstack-request-id", "req-" + uuid.uuid4().hex[:12])
        if obj is not None:
            self.send_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        if self.close_always:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def fault(self, status, key, message):
        self.send(status, {key: {"code": status, "message": message}})

    def handle_any(self):
        c = self.cloud
        self._download_rule = None  # a kept-alive connection serves many requests
        url = urlsplit(self.path)
        path, query = url.path, parse_qs(url.query)
        with c.lock:
            c.tick()
            if not path.startswith("/_test/"):
                c.requests.append({"method": self.command, "path": path,
                                   "query": url.query,
                                   "range": self.headers.get("Range"),
                                   "microversion": self.headers.get("OpenStack-API-Version")
                                   or self.headers.get("X-OpenStack-Nova-API-Version")})
                rule = c.take_fault(self.command, path)
            else:
                rule = None
        if rule and rule.get("action") in ("hang", "hang_after", "hold"):
            return self.hang(rule, path, query)
        if rule and self.apply_fault(rule):
            return
        try:
            self.route(path, query)
        except BrokenPipeError:
            pass

    def hang(self, rule, path, query):
        """Hold the request: before acting on it ("hang"), or after acting
        on it with the answer never sent ("hang_after"), until the client
        is killed and the test releases it; or ("hold") until the test
        releases it, then act on it and answer, as if it had been slow
        to arrive: the test changes the cloud in between."""
        if rule["action"] == "hang_after":
            real = self.wfile
            self.wfile = io.BytesIO()  # the answer goes nowhere
            try:
                self.route(path, query)
            except Exception:
                pass
            self.wfile = real
        c = self.cloud
        with c.lock:
            c.hung.append({"method": self.command, "path": path, "action": rule["action"]})
            release = c.release
            c.hang_event.notify_all()
        release.wait(30)
        if rule["action"] == "hold":
            with c.lock:
                c.tick()
            return self.route(path, query)
        self.close_connection = True

    def apply_fault(self, rule):
        action = rule.get("action", "status")
        if action == "status":
            hdrs = {}
            if "retry_after" in rule:
                ra = rule["retry_after"]
                hdrs["Retry-After"] = formatdate(time.time() + ra, usegmt=True) \
                    if rule.get("retry_after_date") else str(ra)
            st = rule.get("status", 503)
            self.send(st, {"error": {"code": st, "message": rule.get("message", "injected fault")}}, hdrs)
            return True
        if action == "drop":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return True
        if action == "revoke":
            with self.cloud.lock:
                self.cloud.tokens.pop(self.headers.get("X-Auth-Token"), None)
            return False
        # drop_after / slow / corrupt / no_range are read by the download handler
        self._download_rule = rule
        return False

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = handle_any

    # ---- routing ------------------------------------------------------
    def route(self, path, query):
        path = re.sub(r"^/r/[^/]+", "", path)
        path = re.sub(r"^/internal(?=/)", "", path)
        if path.startswith("/_test/"):
            return self.control(path[len("/_test/"):])
        if path.startswith("/identity"):
            return self.identity(path[len("/identity"):])
        m = re.match(r"^/compute/(?:v2/[^/]+|v2\.1)(/.*)?$", path)
        if m:
            return self.authed(self.compute, m.group(1) or "/", query)
        if path.startswith("/image"):
            return self.authed(self.image, path[len("/image"):] or "/", query)
        m = re.match(r"^/volume/v3/[^/]+(/.*)$", path)
        if m:
            return self.authed(self.volume, m.group(1), query)
        self.fault(404, "itemNotFound", "no such endpoint")

    def authed(self, fn, sub, query):
        with self.cloud.lock:
            ok = self.cloud.check_token(self.headers.get("X-Auth-Token"))
        if not ok:
            return self.send(401, {"error": {"code": 401, "title": "Unauthorized",
                                             "message": "The request you have made requires authentication."}})
        return fn(sub, query)

    # ---- control ------------------------------------------------------
    def control(self, what):
        c = self.cloud
        body = self.body_json() or {}
        with c.lock:
            if what == "faults":
                c.faults = body.get("rules", [])
                return self.send(200, {"ok": True})
            if what == "config":
                for key in ("token_ttl", "reported_ttl", "page_size", "regions", "mode",
                            "transition_s", "image_quota_gb", "save_delay", "next_save"):
                    if key in body:
                        setattr(c, key, body[key])
                return self.send(200, {"ok": True})
            if what == "requests":
                return self.send(200, {"requests": c.requests, "token_issues": c.token_issues})
            if what == "saves":
                # concurrent saves: now, and the peak since the last reset
                return self.send(200, {"in_progress": c.count_saves(), "max": c.saves_max})
            if what == "reset-saves":
                c.saves_max = c.count_saves()
                return self.send(200, {"ok": True})
            if what == "reset-requests":
                c.requests = []
                c.token_issues = 0
                return self.send(200, {"ok": True})
            if what == "servers":
                srv = self.make_server(body)
                return self.send(201, {"server": public_server(srv)})
            if what == "images":
                img = c.seed_image(body)
                return self.send(201, public_image(img))
            if what == "server-status":
                srv = c.servers[body["id"]]
                srv["status"] = body["status"]
                return self.send(200, {"ok": True})
            if what == "server-action":
                # as a user would: the state changes at once and Nova
                # records the action
                srv = c.servers[body["id"]]
                srv["status"] = {"start": "ACTIVE", "stop": "SHUTOFF"}[body["action"]]
                srv["OS-EXT-STS:task_state"] = None
                srv.pop("_due", None)
                record_action(srv, body["action"])
                return self.send(200, {"ok": True})
            if what == "server-update":
                srv = c.servers[body["id"]]
                srv["name"] = body["name"]
                return self.send(200, {"ok": True})
            if what == "image-delete":
                c.images.pop(body["id"], None)
                return self.send(200, {"ok": True})
            if what == "guard":
                c.guards[body["server_id"]] = body["path"]
                return self.send(200, {"ok": True})
            if what == "deletes":
                return self.send(200, {"deletes": c.deletes})
            if what == "wait-hang":
                # block until a hang fault holds a request (or give up)
                end = time.time() + float(body.get("timeout", 10))
                while not c.hung and time.time() < end:
                    c.hang_event.wait(end - time.time())
                return self.send(200, {"hung": list(c.hung)})
            if what == "release":
                c.release.set()
                c.hung = []
                c.faults = []
                c.release = threading.Event()
                return self.send(200, {"ok": True})
            if what == "state":
                return self.send(200, {"servers": [public_server(s) for s in c.servers.values()],
                                       "images": [public_image(i) for i in c.images.values()],
                                       "volumes": [{k: v for k, v in vol.items() if not k.startswith("_")}
                                                   for vol in c.volumes.values()]})
        self.send(404, {"error": {"message": "no such control"}})

    def make_server(self, spec):
        c = self.cloud
        sid = spec.get("id") or str(uuid.uuid4())
        srv = {"id": sid, "name": spec.get("name", "server-" + sid[:8]),
               "status": spec.get("status", "ACTIVE"), "OS-EXT-STS:task_state": None,
               "OS-EXT-STS:vm_state": "active",
               "flavor": {"id": spec.get("flavor", "g-1gb")},
               "metadata": spec.get("metadata", {}),
               "image": {"id": spec.get("image_id", "img-base")} if not spec.get("volume_backed") else "",
               "created": iso(time.time()), "tenant_id": "p-demo",
               "addresses": {}, "key_name": spec.get("key_name"),
               "_disk": spec.get("disk"), "_disk_format": spec.get("disk_format", "qcow2")}
        if spec.get("volume_backed"):
            vid = str(uuid.uuid4())
            c.volumes[vid] = {"id": vid, "status": "in-use", "bootable": "true",
                              "size": spec.get("size_gb", 100), "name": "",
                              "attachments": [{"server_id": sid, "device": "/dev/vda"}],
                              "_disk": spec.get("disk")}
            srv["_volumes"] = [vid]
        for n, dv in enumerate(spec.get("data_volumes", [])):
            # a size, or {"size", "bootable", "first"}: a bootable data volume
            # listed before the boot volume, on a later device
            dv = dv if isinstance(dv, dict) else {"size": dv}
            vid = str(uuid.uuid4())
            c.volumes[vid] = {"id": vid, "status": "in-use",
                              "bootable": "true" if dv.get("bootable") else "false",
                              "size": dv["size"], "name": "data",
                              "attachments": [{"server_id": sid, "device": f"/dev/vd{chr(98 + n)}"}]}
            vols = srv.setdefault("_volumes", [])
            if dv.get("first"):
                vols.insert(0, vid)
            else:
                vols.append(vid)
        c.servers[sid] = srv
        return srv

    # ---- identity -----------------------------------------------------
    def identity(self, sub):
        if sub in ("", "/"):
            return self.send(300, {"versions": {"values": [
                {"id": "v3.14", "status": "stable", "links": [{"rel": "self", "href": self.cloud.base_url + "/identity/v3/"}]}]}})
        if sub == "/v3/auth/tokens" and self.command == "POST":
            return self.v3_tokens()
        if sub == "/v2.0/tokens" and self.command == "POST":
            if self.cloud.mode != "conoha-v2":
                return self.fault(404, "error", "The resource could not be found.")
            return self.v2_tokens()
        self.fault(404, "error", "The resource could not be found.")

    def v3_user(self, ident):
        c = self.cloud
        methods = ident.get("methods", [])
        if "password" in methods:
            user = ident.get("password", {}).get("user", {})
            pw = user.get("password")
            for name, (uid, secret, dom) in USERS.items():
                by_id = user.get("id") == uid
                by_name = user.get("name") == name and user.get("domain", {}) in ({"id": dom}, {"name": "Default"})
                if (by_id or by_name) and pw == secret:
                    return uid, None
            return None, None
        if "application_credential" in methods:
            ac = ident.get("application_credential", {})
            for acid, (name, uid, secret, proj) in APP_CREDS.items():
                if (ac.get("id") == acid or ac.get("name") == name) and ac.get("secret") == secret:
                    return uid, proj
            return None, None
        if "token" in methods:
            tok = ident.get("token", {}).get("id")
            with c.lock:
                if c.check_token(tok):
                    return c.tokens[tok][1], None
            return None, None
        return None, None

    def v3_tokens(self):
        c = self.cloud
        body = self.body_json()
        if body is None:
            return self.fault(400, "error", "Malformed request body")
        auth = body.get("auth", {})
        uid, proj = self.v3_user(auth.get("identity", {}))
        if not uid:
            return self.send(401, {"error": {"code": 401, "title": "Unauthorized",
                                             "message": "The request you have made requires authentication."}})
        scope = auth.get("scope", {}).get("project", {})
        if not proj and "scope" not in auth:
            # as Keystone does: credentials alone give an unscoped token
            return self.send(201, {"token": {
                "methods": auth.get("identity", {}).get("methods", []),
                "expires_at": time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(time.time() + 3600)),
                "user": {"id": uid, "domain": {"id": "default", "name": "Default"}}}},
                {"X-Subject-Token": "unscoped-" + uuid.uuid4().hex})
        if not proj:
            proj = scope.get("id") or PROJECTS.get(scope.get("name", ""))
        if not proj:
            return self.fault(401, "error", "unknown project")
        uname = next(n for n, u in USERS.items() if u[0] == uid)
        with c.lock:
            token, exp = c.issue_token(uid, proj)
            catalog = c.catalog_v3(proj)
        pname = next((n for n, p in PROJECTS.items() if p == proj), proj)
        self.send(201, {"token": {
            "methods": auth.get("identity", {}).get("methods", []),
            "expires_at": time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(exp)),
            "issued_at": iso(time.time()),
            "user": {"id": uid, "name": uname, "domain": {"id": "default", "name": "Default"}},
            "project": {"id": proj, "name": pname, "domain": {"id": "default", "name": "Default"}},
            "catalog": catalog}}, {"X-Subject-Token": token})

    def v2_tokens(self):
        c = self.cloud
        body = self.body_json() or {}
        auth = body.get("auth", {})
        cred = auth.get("passwordCredentials", {})
        user = USERS.get(cred.get("username", ""))
        if not user or user[1] != cred.get("password"):
            return self.send(401, {"unauthorized": {"code": 401, "message": "Invalid user / password"}})
        proj = auth.get("tenantId") or PROJECTS.get(auth.get("tenantName", ""))
        if not proj:
            return self.send(401, {"unauthorized": {"code": 401, "message": "tenant required"}})
        with c.lock:
            token, exp = c.issue_token(user[0], proj)
            catalog = c.catalog_v2(proj)
        pname = next((n for n, p in PROJECTS.items() if p == proj), proj)
        self.send(200, {"access": {
            "token": {"id": token, "expires": iso(exp), "issued_at": iso(time.time()),
                      "tenant": {"id": proj, "name": pname, "enabled": True}},
            "serviceCatalog": catalog,
            "user": {"id": user[0], "name": cred["username"], "roles": [{"name": "_member_"}]},
            "metadata": {"is_admin": 0, "roles": []}}})

    # ---- compute ------------------------------------------------------
    def compute(self, sub, query):
        c = self.cloud
        if sub in ("/servers/detail", "/servers") and self.command == "GET":
            with c.lock:
                servers = sorted(c.servers.values(), key=lambda s: s["id"])
            if "name" in query:
                servers = [s for s in servers if re.search(query["name"][0], s["name"])]
            marker = query.get("marker", [None])[0]
            if marker:
                ids = [s["id"] for s in servers]
                if marker not in ids:
                    return self.fault(400, "badRequest", f"marker [{marker}] not found")
                servers = servers[ids.index(marker) + 1:]
            limit = min(int(query.get("limit", ["1000"])[0]), c.page_size)
            page = servers[:limit]
            out = {"servers": [public_server(s) for s in page]}
            if len(servers) > limit:
                out["servers_links"] = [{"rel": "next", "href": f"{c.base_url}/compute/v2.1/servers/detail?limit={limit}&marker={page[-1]['id']}"}]
            return self.send(200, out)
        m = re.match(r"^/flavors/([^/]+)$", sub)
        if m and m.group(1) in c.flavors:
            return self.send(200, {"flavor": {"id": m.group(1), "name": m.group(1),
                                              "disk": c.flavors[m.group(1)], "ram": 1024, "vcpus": 1}})
        m = re.match(r"^/servers/([^/]+)$", sub)
        if m:
            with c.lock:
                srv = c.servers.get(m.group(1))
                if not srv:
                    return self.fault(404, "itemNotFound", f"Instance {m.group(1)} could not be found.")
                if self.command == "DELETE":
                    if "_gone_at" not in srv:
                        check_guarded_delete(c, srv)
                    srv["OS-EXT-STS:task_state"] = "deleting"
                    srv["_gone_at"] = time.time() + c.transition_s
                    return self.send(204)
                return self.send(200, {"server": public_server(srv)})
        m = re.match(r"^/servers/([^/]+)/action$", sub)
        if m and self.command == "POST":
            return self.server_action(m.group(1))
        m = re.match(r"^/servers/([^/]+)/os-instance-actions$", sub)
        if m:
            with c.lock:
                srv = c.servers.get(m.group(1))
                if not srv:
                    return self.fault(404, "itemNotFound", "not found")
                acts = [{k: v for k, v in a.items() if not k.startswith("_")}
                        | {"instance_uuid": srv["id"]} for a in reversed(srv.get("_actions", []))]
            return self.send(200, {"instanceActions": acts})
        m = re.match(r"^/servers/([^/]+)/os-volume_attachments$", sub)
        if m:
            with c.lock:
                srv = c.servers.get(m.group(1))
                if not srv:
                    return self.fault(404, "itemNotFound", "not found")
                atts = [{"id": v, "volumeId": v, "serverId": srv["id"],
                         "device": (c.volumes[v].get("attachments") or [{}])[0].get("device")
                         or f"/dev/vd{chr(97 + i)}"}
                        for i, v in enumerate(srv.get("_volumes", [])) if v in c.volumes]
            return self.send(200, {"volumeAttachments": atts})
        self.fault(404, "itemNotFound", "no such compute resource")

    def microversion(self):
        h = self.headers.get("OpenStack-API-Version") or ""
        m = re.match(r"compute\s+2\.(\d+)", h)
        if m:
            return int(m.group(1))
        h = self.headers.get("X-OpenStack-Nova-API-Version") or ""
        m = re.match(r"2\.(\d+)", h)
        return int(m.group(1)) if m else 1

    def server_action(self, sid):
        c = self.cloud
        body = self.body_json() or {}
        with c.lock:
            srv = c.servers.get(sid)
            if not srv:
                return self.fault(404, "itemNotFound", f"Instance {sid} could not be found.")
            if "os-stop" in body:
                if srv["status"] != "ACTIVE":
                    return self.fault(409, "conflictingRequest",
                                      f"Cannot 'stop' instance {sid} while it is in vm_state {srv['status'].lower()}")
                srv["OS-EXT-STS:task_state"] = "powering-off"
                srv["_due"] = time.time() + c.transition_s
                srv["_next_status"] = "SHUTOFF"
                record_action(srv, "stop")
                return self.send(202)
            if "os-start" in body:
                if srv["status"] != "SHUTOFF":
                    return self.fault(409, "conflictingRequest", "Instance is not stopped")
                srv["OS-EXT-STS:task_state"] = "powering-on"
                srv["_due"] = time.time() + c.transition_s
                srv["_next_status"] = "ACTIVE"
                record_action(srv, "start")
                return self.send(202)
            if "createImage" in body:
                if c.mode.startswith("conoha") and srv["status"] != "SHUTOFF":
                    return self.fault(409, "conflictingRequest", "Server must be stopped to save an image")
                spec = body["createImage"]
                disk_gb = c.flavors.get(srv["flavor"]["id"], 50)
                source = srv.get("_disk") if srv["image"] else None
                iid = c.save(spec.get("name"), source, dict(spec.get("metadata", {})), disk_gb, srv)
                record_action(srv, "createImage")
                if self.microversion() >= 45:
                    return self.send(202, {"image_id": iid})
                # Nova's Location has the image API's host and no /v2
                return self.send(202, None, {"Location": f"{c.base_url}/images/{iid}"})
        self.fault(400, "badRequest", "unsupported action")

    # ---- image --------------------------------------------------------
    def image(self, sub, query):
        c = self.cloud
        if sub == "/v2/images" and self.command == "GET":
            with c.lock:
                imgs = sorted((public_image(i) for i in c.images.values()),
                              key=lambda i: (i["created_at"], i["id"]), reverse=True)
            marker = query.get("marker", [None])[0]
            if marker:
                ids = [i["id"] for i in imgs]
                if marker not in ids:
                    return self.fault(400, "error", "marker not found")
                imgs = imgs[ids.index(marker) + 1:]
            limit = min(int(query.get("limit", ["25"])[0]), c.page_size)
            out = {"images": imgs[:limit], "schema": "/v2/schemas/images", "first": "/v2/images"}
            if len(imgs) > limit:
                out["next"] = f"/v2/images?marker={imgs[limit - 1]['id']}&limit={limit}"
            return self.send(200, out)
        if sub == "/v2/quota":
            key = "tyo1_image_size" if c.mode == "conoha-v2" else "image_size"
            return self.send(200, {"quota": {key: f"{c.image_quota_gb}GB"}})
        if sub == "/v2/images/total":
            with c.lock:
                total = sum(i.get("size") or 0 for i in c.images.values())
            return self.send(200, {"images": {"total_usage": total}})
        m = re.match(r"^/v2/images/([^/]+)$", sub)
        if m:
            with c.lock:
                img = c.images.get(m.group(1))
                if not img:
                    return self.fault(404, "error", f"No image found with ID {m.group(1)}")
                if self.command == "DELETE":
                    del c.images[img["id"]]
                    return self.send(204)
                if self.command == "PATCH":
                    if self.headers.get("Content-Type") != "application/openstack-images-v2.1-json-patch":
                        return self.send(415, {"message": "unsupported media type"})
                    for op in self.body_json() or []:
                        key = op["path"].lstrip("/")
                        if op["op"] in ("add", "replace"):
                            img[key] = op["value"]
                        elif op["op"] == "remove":
                            img.pop(key, None)
                return self.send(200, public_image(img))
        m = re.match(r"^/v2/images/([^/]+)/file$", sub)
        if m and self.command == "GET":
            return self.image_file(m.group(1))
        self.fault(404, "error", "no such image resource")

    def image_file(self, iid):
        c = self.cloud
        with c.lock:
            img = c.images.get(iid)
            path = img and img.get("_file")
        if not img:
            return self.fault(404, "error", f"No image found with ID {iid}")
        if not path:
            return self.send(204)
        rule = getattr(self, "_download_rule", None) or {}
        size = os.path.getsize(path)
        start, status = 0, 200
        rng = self.headers.get("Range")
        hdrs = {}
        if rng and rule.get("action") != "no_range":
            m = re.match(r"bytes=(\d+)-$", rng)
            if not m:
                return self.fault(400, "error", "unsupported range")
            start = int(m.group(1))
            if start >= size:
                return self.send(416, {"error": {"message": "range not satisfiable"}},
                                 {"Content-Range": f"bytes */{size}"})
            status = 206
            hdrs["Content-Range"] = f"bytes {start}-{size - 1}/{size}"
        end = size
        if rule.get("action") == "short":
            # a clean, complete-looking answer that stops before the end
            end = min(size, start + max(0, rule["bytes"] - start))
            rule = {}
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(end - start))
        self.send_header("Content-MD5", img.get("checksum") or "")
        for k, v in hdrs.items():
            self.send_header(k, v)
        if self.close_always:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.stream_file(path, start, end, rule)

    def stream_file(self, path, start, size, rule):
        action = rule.get("action")
        if action == "hang_mid":
            # half the body, then nothing: killed in the middle of a transfer
            with open(path, "rb") as f:
                f.seek(start)
                self.wfile.write(f.read(max(1, (size - start) // 2)))
                self.wfile.flush()
            c = self.cloud
            with c.lock:
                c.hung.append({"method": "GET", "path": path, "action": action})
                release = c.release
                c.hang_event.notify_all()
            release.wait(30)
            self.close_connection = True
            return
        drop_at = rule.get("bytes") if action in ("drop_after", "stall") else None
        bps = rule.get("bps") if action == "slow" else None
        corrupt_at = rule.get("offset") if action == "corrupt" else None
        pos = start
        with open(path, "rb") as f:
            if not action:
                # zero-copy where the socket allows it, so benchmarks
                # measure the client rather than this server
                self.wfile.flush()
                self.connection.sendfile(f, start, size - start)
                return
            f.seek(start)
            while pos < size:
                chunk = f.read(min(65536, bps or 65536))
                if not chunk:
                    break
                if corrupt_at is not None and pos <= corrupt_at < pos + len(chunk):
                    b = bytearray(chunk)
                    b[corrupt_at - pos] ^= 0xFF
                    chunk = bytes(b)
                if drop_at is not None and pos + len(chunk) > drop_at:
                    self.wfile.write(chunk[:max(0, drop_at - pos)])
                    self.wfile.flush()
                    if action == "stall":
                        time.sleep(rule.get("seconds", 10))
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(chunk)
                pos += len(chunk)
                if bps:
                    time.sleep(len(chunk) / bps)

    # ---- volume -------------------------------------------------------
    def volume(self, sub, query):
        c = self.cloud
        m = re.match(r"^/volumes/([^/]+)/action$", sub)
        if m and self.command == "POST":
            body = self.body_json() or {}
            with c.lock:
                vol = c.volumes.get(m.group(1))
                if not vol:
                    return self.fault(404, "itemNotFound", "Volume could not be found.")
                req = body.get("os-volume_upload_image")
                if req is None:
                    return self.fault(400, "badRequest", "unsupported action")
                server = next((s for s in c.servers.values() if vol["id"] in s.get("_volumes", [])), None)
                if server and server["status"] != "SHUTOFF" and not req.get("force"):
                    return self.fault(400, "badRequest",
                                      "Invalid volume: Volume status must be available or in-use with force")
                iid = c.save(req.get("image_name"), vol.get("_disk"), {}, vol["size"])
                vol["status"] = "uploading"
                vol["_due"] = time.time() + c.save_delay
                vol["_next_status"] = "in-use" if server else "available"
                return self.send(202, {"os-volume_upload_image": {
                    "id": vol["id"], "updated_at": iso(time.time()), "status": "uploading",
                    "display_description": None, "size": vol["size"], "volume_type": None,
                    "image_id": iid, "container_format": req.get("container_format", "bare"),
                    "disk_format": req.get("disk_format", "raw"), "image_name": req.get("image_name")}})
        m = re.match(r"^/volumes/([^/]+)$", sub)
        if m and self.command == "DELETE":
            with c.lock:
                vol = c.volumes.get(m.group(1))
                if not vol:
                    return self.fault(404, "itemNotFound", "Volume could not be found.")
                if vol["status"] != "available":
                    return self.fault(400, "badRequest",
                                      "Invalid volume: Volume status must be available or error")
                del c.volumes[vol["id"]]
            return self.send(202)
        if m and self.command == "GET":
            with c.lock:
                vol = c.volumes.get(m.group(1))
                if not vol:
                    return self.fault(404, "itemNotFound", "Volume could not be found.")
                return self.send(200, {"volume": {k: v for k, v in vol.items() if not k.startswith("_")}})
        self.fault(404, "itemNotFound", "no such volume resource")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--mode", default="stock", choices=["stock", "conoha-v2", "conoha-v3"])
    ap.add_argument("--state-dir", required=True)
    ap.add_argument("--ready-file", required=True)
    ap.add_argument("--close-always", action="store_true")
    args = ap.parse_args()

    cloud = Cloud(args.mode, args.state_dir)
    Handler.cloud = cloud
    Handler.close_always = args.close_always
    httpd = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    httpd.daemon_threads = True
    scheme = "http"
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
        scheme = "https"
    port = httpd.server_address[1]
    cloud.base_url = f"{scheme}://127.0.0.1:{port}"
    tmp = args.ready_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{port}\n")
    os.rename(tmp, args.ready_file)
    try:
        httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
