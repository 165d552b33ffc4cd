#!/usr/bin/python3
"""stack.py start|stop STATE_DIR - real OpenStack (Keystone, Glance, Nova with
a fake virt driver, Placement) from Debian's packages, on loopback, from an
empty state directory, with sqlite databases and RabbitMQ.

start: writes configs, initialises the databases, starts every service,
waits until each answers and Nova's compute is up, writes STATE/env
(export OS_...=) and STATE/clouds.yaml, and records every pid in STATE/pids.
stop: stops exactly the processes recorded there.
stack.py token-lifetime STATE_DIR SECONDS: restart Keystone only, issuing
tokens that live SECONDS (tokens already issued keep their expiry).

Ports: LIFEBOAT_OS_PORT_BASE (default 35300) and the next seven."""
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"  # another python3 may come first on PATH
ADMIN_PASSWORD = "admin-secret"
SERVICE_PASSWORD = "service-secret"
DEMO_PASSWORD = "demo-secret"
REGION = "RegionOne"


def password_token(auth_url, user, password, project):
    """(token, token document) for USER in PROJECT, both in domain Default."""
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"name": "Default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"name": "Default"}}}}}
    req = urllib.request.Request(auth_url + "/auth/tokens", data=json.dumps(body).encode(),
                                 method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.headers["X-Subject-Token"], json.load(r)["token"]
    except urllib.error.HTTPError as e:
        sys.exit("keystone: no token for %s: %d %s" % (user, e.code, e.read()[:300]))


def get_json(url, token):
    req = urllib.request.Request(url, headers={"X-Auth-Token": token})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


class Stack:
    def __init__(self, state):
        self.state = os.path.abspath(state)
        base = int(os.environ.get("LIFEBOAT_OS_PORT_BASE", "35300"))
        names = ["keystone", "glance", "placement", "nova", "network", "amqp", "epmd", "dist"]
        self.port = {n: base + i for i, n in enumerate(names)}
        self.url = {n: "http://127.0.0.1:%d" % self.port[n] for n in names}
        self.token_lifetime = 3600

    def path(self, *parts):
        return os.path.join(self.state, *parts)

    def db(self, name):
        # a writer may wait up to 30 s for another (sqlite's default is 5):
        # under a loaded machine Nova's services otherwise answer 500
        return "sqlite:///" + self.path(name + ".db") + "?timeout=30"

    # ---- processes -------------------------------------------------------------

    def spawn(self, name, argv, env=None):
        log = open(self.path("log", name + ".log"), "ab")
        full = dict(os.environ, PYTHONPATH=HERE, **(env or {}))
        p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=full,
                             stdin=subprocess.DEVNULL, start_new_session=True)
        with open(self.path("pids"), "a") as f:
            f.write("%d %s\n" % (p.pid, name))
        return p

    def python_main(self, name, module, conf):
        code = "import sys; import %s as m; " % module
        if name == "nova-compute":
            # nova loads compute_driver only from inside nova.virt: the driver
            # is put there, after nova.cmd has monkey-patched for eventlet
            code += ("import lifeboat_fake_driver as d; "
                     "sys.modules['nova.virt.lifeboat_fake_driver'] = d; ")
        code += "import lifeboat_sqlite; "
        code += "sys.argv = %r; sys.exit(m.main())" % [name, "--config-file", conf]
        return self.spawn(name, [PY, "-c", code])

    def run(self, what, argv, env=None):
        full = dict(os.environ, PYTHONPATH=HERE, **(env or {}))
        with open(self.path("log", "setup.log"), "ab") as log:
            r = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, env=full)
        if r.returncode != 0:
            sys.exit("stack: %s failed (exit %d); see %s" %
                     (what, r.returncode, self.path("log", "setup.log")))

    def manage(self, module, conf, *args):
        code = ("import sys; sys.argv = %r; from %s import main; sys.exit(main())"
                % (["manage", "--config-file", conf] + list(args), module))
        self.run(module + " " + " ".join(args), [PY, "-c", code])

    # ---- configuration ---------------------------------------------------------

    def auth_section(self, section, user, **extra):
        # how a service authenticates to Keystone, as its config says it
        opts = dict(auth_url=self.url["keystone"] + "/v3", auth_type="password",
                    project_domain_name="Default", user_domain_name="Default",
                    project_name="service", username=user, password=SERVICE_PASSWORD, **extra)
        return "\n[%s]\n" % section + "".join("%s = %s\n" % kv for kv in opts.items())

    def authtoken(self, user):
        return self.auth_section("keystone_authtoken", user,
                                 www_authenticate_uri=self.url["keystone"] + "/v3",
                                 service_token_roles_required="true")

    def service_auth(self, section, user="nova"):
        return self.auth_section(section, user, region_name=REGION)

    def write(self, name, text):
        with open(self.path(name), "w") as f:
            f.write(text)
        return self.path(name)

    def write_configs(self):
        self.write("keystone.conf", """
[DEFAULT]
debug = false
[database]
connection = {db}
[token]
provider = fernet
expiration = {exp}
[fernet_tokens]
key_repository = {fk}
[fernet_receipts]
key_repository = {fk}
[credential]
key_repository = {ck}
[identity]
password_hash_rounds = 4
""".format(db=self.db("keystone"), fk=self.path("fernet-keys"), ck=self.path("credential-keys"),
           exp=self.token_lifetime))
        self.write("glance-api-paste.ini", GLANCE_PASTE)
        self.write("glance-api.conf", """
[DEFAULT]
bind_host = 127.0.0.1
bind_port = {port}
workers = 0
enabled_import_methods = []
[database]
connection = {db}
[paste_deploy]
flavor = keystone
config_file = {paste}
[glance_store]
stores = file
default_store = file
filesystem_store_datadir = {images}
[oslo_policy]
enforce_new_defaults = false
""".format(port=self.port["glance"], db=self.db("glance"), paste=self.path("glance-api-paste.ini"),
           images=self.path("images")) + self.authtoken("glance"))
        self.write("placement.conf", """
[api]
auth_strategy = keystone
[placement_database]
connection = {db}
""".format(db=self.db("placement")) + self.authtoken("placement"))
        self.write("nova-api-paste.ini", NOVA_PASTE)
        amqp = "rabbit://guest:guest@127.0.0.1:%d/" % self.port["amqp"]
        self.write("nova.conf", """
[DEFAULT]
transport_url = {amqp}
compute_driver = lifeboat_fake_driver.UploadingFakeDriver
state_path = {nova}
instances_path = {nova}/instances
host = lifeboat-compute
my_ip = 127.0.0.1
enabled_apis = osapi_compute
osapi_compute_listen = 127.0.0.1
osapi_compute_listen_port = {port}
osapi_compute_workers = 1
[api]
auth_strategy = keystone
[wsgi]
api_paste_config = {paste}
[api_database]
connection = {api_db}
[database]
connection = {cell1}
[conductor]
workers = 1
[scheduler]
workers = 1
discover_hosts_in_cells_interval = 2
[oslo_concurrency]
lock_path = {nova}/locks
[oslo_messaging_rabbit]
heartbeat_timeout_threshold = 0
[oslo_policy]
enforce_new_defaults = false
[glance]
region_name = {r}
[neutron]
region_name = {r}
""".format(amqp=amqp, nova=self.path("nova"), port=self.port["nova"],
           paste=self.path("nova-api-paste.ini"), api_db=self.db("nova_api"),
           cell1=self.db("nova"), r=REGION)
            + self.authtoken("nova") + self.service_auth("placement")
            + self.service_auth("neutron") + self.service_auth("service_user"))

    # ---- databases ---------------------------------------------------------------

    def wal(self, *names):
        # Several processes share each database: without WAL, sqlite
        # answers "database is locked" and Keystone a 500.
        for n in names:
            c = sqlite3.connect(self.path(n + ".db"))
            c.execute("PRAGMA journal_mode=WAL")
            c.close()

    def init_keystone(self):
        kconf = self.path("keystone.conf")
        kman = ["keystone-manage", "--config-file", kconf]
        self.run("keystone db_sync", kman + ["db_sync"])
        for what in ("fernet_setup", "credential_setup"):
            self.run("keystone " + what, kman + [what, "--keystone-user", "root",
                                                 "--keystone-group", "root"])
        # the password through the environment, not argv
        self.run("keystone bootstrap", kman + [
            "bootstrap",
            "--bootstrap-admin-url", self.url["keystone"] + "/v3",
            "--bootstrap-internal-url", self.url["keystone"] + "/v3",
            "--bootstrap-public-url", self.url["keystone"] + "/v3",
            "--bootstrap-region-id", REGION], {"OS_BOOTSTRAP_PASSWORD": ADMIN_PASSWORD})

    def init_others(self):
        self.manage("glance.cmd.manage", self.path("glance-api.conf"), "db_sync")
        self.manage("placement.cmd.manage", self.path("placement.conf"), "db", "sync")
        nconf = self.path("nova.conf")
        self.manage("nova.cmd.manage", nconf, "api_db", "sync")
        self.manage("nova.cmd.manage", nconf, "cell_v2", "map_cell0",
                    "--database_connection", self.db("nova_cell0"))
        self.manage("nova.cmd.manage", nconf, "cell_v2", "create_cell", "--name", "cell1")
        self.manage("nova.cmd.manage", nconf, "db", "sync")

    def init_databases(self):
        # (run side by side, the two chains saved nothing: RabbitMQ is
        # starting on the other core meanwhile)
        self.init_keystone()
        self.init_others()
        self.wal("keystone", "glance", "placement", "nova_api", "nova", "nova_cell0")

    # ---- Keystone's catalog and users -------------------------------------------

    def api(self, method, path, body=None, token=None, ok=(200, 201, 204)):
        req = urllib.request.Request(self.url["keystone"] + "/v3" + path, method=method,
                                     data=json.dumps(body).encode() if body else None)
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("X-Auth-Token", token)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                text = r.read()
                return r.headers.get("X-Subject-Token"), json.loads(text) if text else {}
        except urllib.error.HTTPError as e:
            if e.code in ok:
                return None, {}
            sys.exit("stack: keystone %s %s: %d %s" % (method, path, e.code, e.read()[:300]))

    def admin_token(self):
        return password_token(self.url["keystone"] + "/v3", "admin", ADMIN_PASSWORD, "admin")[0]

    def register(self):
        t = self.admin_token()
        roles = {r["name"]: r["id"] for r in self.api("GET", "/roles", token=t)[1]["roles"]}
        projects = {}
        for name in ("service", "demo"):
            projects[name] = self.api("POST", "/projects", {"project": {
                "name": name, "domain_id": "default"}}, t)[1]["project"]["id"]
        users = [("glance", SERVICE_PASSWORD, "service", "admin"),
                 ("nova", SERVICE_PASSWORD, "service", "admin"),
                 ("placement", SERVICE_PASSWORD, "service", "admin"),
                 ("demo", DEMO_PASSWORD, "demo", "member")]
        for name, pw, project, role in users:
            uid = self.api("POST", "/users", {"user": {
                "name": name, "domain_id": "default", "password": pw}}, t)[1]["user"]["id"]
            self.api("PUT", "/projects/%s/users/%s/roles/%s" % (projects[project], uid,
                                                                 roles[role]), token=t)
        for stype, name, url in (("image", "glance", self.url["glance"]),
                                 ("compute", "nova", self.url["nova"] + "/v2.1"),
                                 ("placement", "placement", self.url["placement"]),
                                 ("network", "neutron", self.url["network"])):
            sid = self.api("POST", "/services", {"service": {"type": stype, "name": name}},
                           t)[1]["service"]["id"]
            for iface in ("public", "internal"):
                self.api("POST", "/endpoints", {"endpoint": {
                    "service_id": sid, "interface": iface, "url": url,
                    "region_id": REGION}}, t)

    # ---- start --------------------------------------------------------------------

    def wait_http(self, name, url, proc, timeout=120):
        end = time.time() + timeout
        while time.time() < end:
            if proc and proc.poll() is not None:
                sys.exit("stack: %s exited (%d); see %s" %
                         (name, proc.returncode, self.path("log", name + ".log")))
            try:
                urllib.request.urlopen(url, timeout=5).read()
                return
            except urllib.error.HTTPError:
                return  # it answers: 401 or 300 is an answer
            except OSError:
                time.sleep(0.3)
        sys.exit("stack: %s did not answer at %s within %d s" % (name, url, timeout))

    def wait_port(self, name, port, proc, timeout=120):
        end = time.time() + timeout
        while time.time() < end:
            if proc.poll() is not None:
                sys.exit("stack: %s exited; see %s" % (name, self.path("log", name + ".log")))
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
                return
            except OSError:
                time.sleep(0.3)
        sys.exit("stack: %s did not listen on %d within %d s" % (name, port, timeout))

    def uwsgi(self, name, port, wsgi_file, env):
        # --http-socket closes after each response: say so, or keep-alive
        # clients (keystonemiddleware's among them) fail on a reused socket
        return self.spawn(name, [
            "uwsgi", "--plugin", "python3", "--http-socket", "127.0.0.1:%d" % port,
            "--wsgi-file", wsgi_file, "--processes", "1", "--threads", "4",
            "--add-header", "Connection: close", "--die-on-term", "--need-app",
            "--pythonpath", HERE], env)

    def start_rabbit(self):
        rabbit = self.path("rabbit")
        epmd = self.spawn("epmd", ["epmd", "-port", str(self.port["epmd"]),
                                   "-address", "127.0.0.1"])
        self.wait_port("epmd", self.port["epmd"], epmd)
        env = {
            "HOME": rabbit, "RABBITMQ_NODENAME": "lifeboat@localhost",
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port["amqp"]),
            "RABBITMQ_DIST_PORT": str(self.port["dist"]),
            "ERL_EPMD_PORT": str(self.port["epmd"]), "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_MNESIA_BASE": rabbit + "/mnesia", "RABBITMQ_LOG_BASE": rabbit + "/log",
            "RABBITMQ_ENABLED_PLUGINS_FILE": rabbit + "/enabled_plugins",
            "RABBITMQ_CONFIG_FILE": rabbit + "/rabbitmq",
            "RABBITMQ_LOGS": "-",
        }
        with open(rabbit + "/enabled_plugins", "w") as f:
            f.write("[].\n")
        with open(rabbit + "/rabbitmq.conf", "w") as f:
            f.write("listeners.tcp.1 = 127.0.0.1:%d\n" % self.port["amqp"])
        return self.spawn("rabbitmq", ["/usr/lib/rabbitmq/bin/rabbitmq-server"], env)

    def start_keystone(self):
        env = {"OS_KEYSTONE_CONFIG_FILES": self.path("keystone.conf")}
        keystone = self.uwsgi("keystone", self.port["keystone"],
                              "/usr/bin/keystone-wsgi-public", env)
        self.wait_http("keystone", self.url["keystone"] + "/v3", keystone)

    def restart_keystone(self, lifetime):
        with open(self.path("pids")) as f:
            procs = [line.split() for line in f if line.strip()]
        for pid, name in procs:
            if name == "keystone":
                self.signal(int(pid), signal.SIGTERM)
                while self.alive(int(pid)):
                    time.sleep(0.1)
        with open(self.path("pids"), "w") as f:
            f.writelines("%s %s\n" % (p, n) for p, n in procs if n != "keystone")
        self.token_lifetime = lifetime
        self.write_configs()
        self.start_keystone()

    def start(self):
        for d in ("log", "nova/instances", "nova/locks", "images", "rabbit"):
            os.makedirs(self.path(d), exist_ok=True)
        if os.path.exists(self.path("pids")):
            sys.exit("stack: %s already holds a running stack (stop it first)" % self.state)
        t0 = time.time()
        self.write_configs()
        rabbit = self.start_rabbit()
        self.init_databases()
        self.start_keystone()
        self.register()
        net = self.spawn("network", [PY, os.path.join(HERE, "network_standin.py"),
                                     str(self.port["network"])])
        placement = self.uwsgi("placement", self.port["placement"], "/usr/bin/placement-api",
                               {"OS_PLACEMENT_CONFIG_DIR": self.state})
        glance = self.python_main("glance", "glance.cmd.api", self.path("glance-api.conf"))
        self.wait_port("rabbitmq", self.port["amqp"], rabbit, 180)
        nconf = self.path("nova.conf")
        nova_api = self.python_main("nova-api", "nova.cmd.api", nconf)
        for svc in ("conductor", "scheduler", "compute"):
            self.python_main("nova-" + svc, "nova.cmd." + svc, nconf)
        self.wait_http("network", self.url["network"], net)
        self.wait_http("placement", self.url["placement"], placement)
        self.wait_http("glance", self.url["glance"] + "/versions", glance)
        self.wait_http("nova-api", self.url["nova"] + "/", nova_api)
        self.write_client_files()
        self.wait_compute(t0)
        print("stack: up in %.0f s; source %s" % (time.time() - t0, self.path("env")))

    def wait_compute(self, since, timeout=180):
        # The first boot fails unless conductor, scheduler and compute have
        # reported in since launch, and the compute host is in a cell.
        token = self.admin_token()
        end = time.time() + timeout
        need = {"nova-conductor", "nova-scheduler", "nova-compute"}
        while time.time() < end:
            up = set()
            for s in get_json(self.url["nova"] + "/v2.1/os-services", token)["services"]:
                seen = s.get("updated_at")
                if seen and s["state"] == "up" and time.mktime(
                        time.strptime(seen[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone >= since - 1:
                    up.add(s["binary"])
            if need <= up and self.hypervisor_mapped(token):
                return
            time.sleep(1)
        sys.exit("stack: nova services not up within %d s" % timeout)

    def hypervisor_mapped(self, token):
        # the scheduler maps new hosts every 2 s; placement must know it too
        return bool(get_json(self.url["nova"] + "/v2.1/os-hypervisors", token)["hypervisors"]
                    and get_json(self.url["placement"] + "/resource_providers",
                                 token)["resource_providers"])

    def write_client_files(self):
        k = self.url["keystone"] + "/v3"
        with open(self.path("env"), "w") as f:
            f.write("export OS_AUTH_URL=%s\nexport OS_USERNAME=demo\n"
                    "export OS_PROJECT_NAME=demo\nexport OS_USER_DOMAIN_NAME=Default\n"
                    "export OS_PROJECT_DOMAIN_NAME=Default\nexport OS_REGION_NAME=%s\n"
                    "export OS_IDENTITY_API_VERSION=3\n" % (k, REGION))
        with open(self.path("clouds.yaml"), "w") as f:
            f.write("clouds:\n  local:\n    auth:\n      auth_url: %s\n"
                    "      username: demo\n      project_name: demo\n"
                    "      user_domain_name: Default\n      project_domain_name: Default\n"
                    "    region_name: %s\n" % (k, REGION))
        with open(self.path("secure.yaml"), "w") as f:
            f.write("clouds:\n  local:\n    auth:\n      password: %s\n" % DEMO_PASSWORD)
        os.chmod(self.path("secure.yaml"), 0o600)

    # ---- stop ---------------------------------------------------------------------

    def stop(self):
        try:
            with open(self.path("pids")) as f:
                procs = [line.split() for line in f if line.strip()]
        except FileNotFoundError:
            return
        # newest first: Nova before RabbitMQ, epmd last
        for pid, name in reversed(procs):
            self.signal(int(pid), signal.SIGTERM)
        end = time.time() + 20
        for pid, name in reversed(procs):
            while self.alive(int(pid)) and time.time() < end:
                time.sleep(0.2)
            if self.alive(int(pid)):
                print("stack: %s (%s) did not stop: killed" % (name, pid), file=sys.stderr)
                self.signal(int(pid), signal.SIGKILL)
        os.unlink(self.path("pids"))

    @staticmethod
    def signal(pid, sig):
        # Each service was started in its own session: its group is its
        # workers and helpers (uwsgi's, beam's), and nothing else.
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            pass

    @staticmethod
    def alive(pid):
        try:  # our own child when start failed: reap it, or it stays a zombie
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        try:
            os.killpg(pid, 0)
            return True
        except ProcessLookupError:
            return False


GLANCE_PASTE = """
[pipeline:glance-api-keystone]
pipeline = versionnegotiation authtoken context rootapp

[composite:rootapp]
paste.composite_factory = glance.api:root_app_factory
/: apiversions
/v2: apiv2app

[app:apiversions]
paste.app_factory = glance.api.versions:create_resource

[app:apiv2app]
paste.app_factory = glance.api.v2.router:API.factory

[filter:versionnegotiation]
paste.filter_factory = glance.api.middleware.version_negotiation:VersionNegotiationFilter.factory

[filter:context]
paste.filter_factory = glance.api.middleware.context:ContextMiddleware.factory

[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
delay_auth_decision = true
"""

NOVA_PASTE = """
[composite:osapi_compute]
use = call:nova.api.openstack.urlmap:urlmap_factory
/: oscomputeversions
/v2.1: openstack_compute_api_v21

[composite:openstack_compute_api_v21]
use = call:nova.api.auth:pipeline_factory_v21
keystone = compute_req_id faultwrap sizelimit authtoken keystonecontext osapi_compute_app_v21

[filter:compute_req_id]
paste.filter_factory = nova.api.compute_req_id:ComputeReqIdMiddleware.factory

[filter:faultwrap]
paste.filter_factory = nova.api.openstack:FaultWrapper.factory

[filter:sizelimit]
paste.filter_factory = oslo_middleware:RequestBodySizeLimiter.factory

[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory

[filter:keystonecontext]
paste.filter_factory = nova.api.auth:NovaKeystoneContext.factory

[app:osapi_compute_app_v21]
paste.app_factory = nova.api.openstack.compute:APIRouterV21.factory

[pipeline:oscomputeversions]
pipeline = faultwrap oscomputeversionapp

[app:oscomputeversionapp]
paste.app_factory = nova.api.openstack.compute.versions:Versions.factory
"""


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "token-lifetime":
        Stack(sys.argv[2]).restart_keystone(int(sys.argv[3]))
        return
    if len(sys.argv) != 3 or sys.argv[1] not in ("start", "stop"):
        sys.exit(__doc__)
    s = Stack(sys.argv[2])
    if sys.argv[1] == "start":
        os.makedirs(s.state, exist_ok=True)
        try:
            s.start()
        except SystemExit:
            s.stop()
            raise
    else:
        s.stop()


if __name__ == "__main__":
    main()
