#!/usr/bin/python3
"""osctl.py COMMAND ... - what the tests do to the real cloud besides
running lifeboat, as the demo user (OS_* from STATE/env and OS_PASSWORD),
or as admin with --admin PASSWORD:

  flavor                          create flavor "tiny" (admin)
  base-image FILE                 upload FILE as public image "base" (admin)
  boot NAME DISK [KEY=VALUE...]   boot a server whose snapshot uploads DISK;
                                  print its id once ACTIVE
  app-credential NAME             print "ID SECRET" of a new application credential
  image-create NAME               a queued image with no data; print its id
  image-upload ID FILE            upload FILE into a queued image
  server-status ID                print the server's status
  server-start ID                 start a stopped server; return once ACTIVE
  server-actions ID               print its instance actions, oldest first
"""
import json
import os
import sys
import time
import urllib.error
import urllib.request

from stack import password_token


def auth(user, password, project):
    return password_token(os.environ["OS_AUTH_URL"], user, password, project)


class Cloud:
    def __init__(self, admin_password=None):
        if admin_password:
            self.token, tok = auth("admin", admin_password, "admin")
        else:
            self.token, tok = auth(os.environ["OS_USERNAME"], os.environ["OS_PASSWORD"],
                                   os.environ["OS_PROJECT_NAME"])
        self.user_id = tok["user"]["id"]
        self.url = {}
        for svc in tok["catalog"]:
            for ep in svc["endpoints"]:
                if ep["interface"] == "public":
                    self.url[svc["type"]] = ep["url"].rstrip("/")

    def call(self, method, service, path, body=None, raw=None, headers=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None
                                            else None)
        req = urllib.request.Request(self.url[service] + path, data=data, method=method)
        req.add_header("X-Auth-Token", self.token)
        req.add_header("Content-Type", "application/octet-stream" if raw is not None
                       else "application/json")
        req.add_header("OpenStack-API-Version", "compute 2.37")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                text = r.read()
                return json.loads(text) if text else {}
        except urllib.error.HTTPError as e:
            sys.exit("osctl: %s %s: %d %s" % (method, path, e.code, e.read()[:400]))


def main(argv):
    admin = None
    if argv[:1] == ["--admin"]:
        admin, argv = argv[1], argv[2:]
    if not argv:
        sys.exit(__doc__)
    c = Cloud(admin)
    cmd, args = argv[0], argv[1:]
    if cmd == "flavor":
        c.call("POST", "compute", "/flavors", {"flavor": {
            "name": "tiny", "ram": 64, "vcpus": 1, "disk": 1, "id": "tiny"}})
    elif cmd == "base-image":
        img = c.call("POST", "image", "/v2/images", {
            "name": "base", "disk_format": "raw", "container_format": "bare",
            "visibility": "public"})
        with open(args[0], "rb") as f:
            c.call("PUT", "image", "/v2/images/%s/file" % img["id"], raw=f.read())
        print(img["id"])
    elif cmd == "boot":
        name, disk = args[0], os.path.abspath(args[1])
        meta = {"lifeboat-disk": disk}
        meta.update(kv.split("=", 1) for kv in args[2:])
        base = [i for i in c.call("GET", "image", "/v2/images?name=base")["images"]]
        srv = c.call("POST", "compute", "/servers", {"server": {
            "name": name, "imageRef": base[0]["id"], "flavorRef": "tiny",
            "networks": "none", "metadata": meta}})["server"]
        for _ in range(240):
            s = c.call("GET", "compute", "/servers/" + srv["id"])["server"]
            if s["status"] == "ACTIVE":
                print(srv["id"])
                return
            if s["status"] == "ERROR":
                sys.exit("osctl: server %s went to ERROR: %s" % (name, s.get("fault")))
            time.sleep(0.5)
        sys.exit("osctl: server %s not ACTIVE in time" % name)
    elif cmd == "app-credential":
        cred = c.call("POST", "identity", "/users/%s/application_credentials" % c.user_id,
                      {"application_credential": {"name": args[0]}})["application_credential"]
        print(cred["id"], cred["secret"])
    elif cmd == "image-create":
        print(c.call("POST", "image", "/v2/images", {
            "name": args[0], "disk_format": "raw", "container_format": "bare"})["id"])
    elif cmd == "image-upload":
        with open(args[1], "rb") as f:
            c.call("PUT", "image", "/v2/images/%s/file" % args[0], raw=f.read())
    elif cmd == "server-status":
        print(c.call("GET", "compute", "/servers/" + args[0])["server"]["status"])
    elif cmd == "server-start":
        c.call("POST", "compute", "/servers/%s/action" % args[0], {"os-start": None})
        for _ in range(240):
            s = c.call("GET", "compute", "/servers/" + args[0])["server"]
            if s["status"] == "ACTIVE" and not s.get("OS-EXT-STS:task_state"):
                return
            time.sleep(0.5)
        sys.exit("osctl: server %s not ACTIVE in time" % args[0])
    elif cmd == "server-actions":
        acts = c.call("GET", "compute", "/servers/%s/os-instance-actions" % args[0])
        print(" ".join(a["action"] for a in sorted(acts["instanceActions"],
                                                    key=lambda a: a["start_time"])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
