#!/bin/bash
# capture.sh - refresh the seed corpora from real traffic: the test cloud's
# answers (stock OpenStack and ConoHa modes), its error bodies, a qcow2
# header qemu-img writes and a manifest lifeboat-extract's writer writes.
# Run by hand; the corpora it leaves in tests/fuzz/corpus are committed.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
C=$TOP/tests/fuzz/corpus
WORK=$(mktemp -d /tmp/lifeboat-capture.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

start() { # start MODE: sets URL
	rm -f "$WORK/ready"
	python3 "$TOP/tests/cloud/cloud.py" --state-dir "$WORK/state-$1" --mode "$1" \
		--ready-file "$WORK/ready" 2>"$WORK/log-$1" &
	for _ in $(seq 100); do [ -f "$WORK/ready" ] && break; sleep 0.05; done
	URL=http://127.0.0.1:$(cat "$WORK/ready")
}
post() { curl -sS -X POST -H 'Content-Type: application/json' --data "$2" "$URL$1"; }
get() { curl -sS -H "X-Auth-Token: $TOKEN" "$URL$1"; }
save() { mkdir -p "$C/$1"; cat >"$C/$1/$2"; }
# A captured token expires within the hour; the targets only go on to
# choose endpoints from a token that will not need renewing.
far_future() { sed 's/"\(expires[a-z_]*\)": "20[0-9][0-9]-/"\1": "2099-/g'; }

v3auth='{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"demo",
"domain":{"name":"Default"},"password":"demo-secret"}}},"scope":{"project":{"name":"demo",
"domain":{"name":"Default"}}}}}'

for mode in stock conoha-v3 conoha-v2; do
	start $mode
	post /_test/servers '{"name":"web1","metadata":{"instance_name_tag":"web 1"}}' >/dev/null
	post /_test/servers '{"name":"db1","volume_backed":true,"data_volumes":[20]}' >/dev/null
	post /_test/images '{"name":"img1"}' >/dev/null
	if [ $mode = conoha-v2 ]; then
		post /identity/v2.0/tokens '{"auth":{"passwordCredentials":{"username":"demo",
"password":"demo-secret"},"tenantName":"demo"}}' >"$WORK/tok.json"
		far_future <"$WORK/tok.json" | save token_v2 $mode.json
		TOKEN=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["access"]["token"]["id"])' <"$WORK/tok.json")
	else
		curl -sS -D "$WORK/hdr" -X POST -H 'Content-Type: application/json' \
			--data "$v3auth" "$URL/identity/v3/auth/tokens" >"$WORK/tok.json"
		far_future <"$WORK/tok.json" | save token_v3 $mode.json
		TOKEN=$(sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: *\([^\r]*\).*/\1/p' "$WORK/hdr")
	fi
	state=$(curl -sS "$URL/_test/state")
	project=p-demo
	get /compute/v2.1/servers/detail | save server $mode-list.json
	sid=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["servers"][0]["id"])' <<<"$state")
	get /compute/v2.1/servers/$sid | save server $mode-one.json
	get /compute/v2.1/servers/$sid/os-volume_attachments | save volume $mode-attachments.json || true
	get /image/v2/images | save image $mode-list.json
	get /image/v2/quota | save image $mode-quota.json || true
	vid=$(python3 -c 'import json,sys; v=json.load(sys.stdin)["volumes"]; print(v[0]["id"] if v else "")' <<<"$state")
	[ -n "$vid" ] && get /volume/v3/$project/volumes/$vid | save volume $mode-one.json
	get /compute/v2.1/servers/no-such | save fault $mode-404.json
	curl -sS "$URL/compute/v2.1/servers/detail" | save fault $mode-401.json
	post /identity/v3/auth/tokens '{"auth":{}}' | save fault $mode-auth.json
	kill %1; wait %1 2>/dev/null || true
done

# the shapes of the other clouds' fault bodies (set_http_error's table)
printf '{"error": {"code": 429, "message": "Too Many Requests", "title": "Too Many"}}' | save fault ratelimit.json
printf '{"title": "Conflict", "description": "image is in use"}' | save fault title.json
printf '<html><body><h1>502 Bad Gateway</h1></body></html>\n' | save fault proxy.html

qemu-img create -q -f qcow2 "$WORK/d.qcow2" 64M
head -c 1024 "$WORK/d.qcow2" | save qcow2 plain.qcow2
qemu-img create -q -f qcow2 -b d.qcow2 -F qcow2 "$WORK/o.qcow2"
head -c 2048 "$WORK/o.qcow2" | save qcow2 backing.qcow2
qemu-img create -q -f qcow2 -o compat=0.10 "$WORK/v2.qcow2" 16M
head -c 1024 "$WORK/v2.qcow2" | save qcow2 v2.qcow2

# the tar stream the appliance sends, in small: every entry type and the
# names a hostile image would use
python3 - "$C" <<'PY'
import io, os, sys, tarfile
out = os.path.join(sys.argv[1], "tar"); os.makedirs(out, exist_ok=True)
def tar(name, entries, fmt=tarfile.PAX_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for kind, path, arg in entries:
            ti = tarfile.TarInfo(path); ti.mtime = 1700000000; ti.mode = 0o644
            if kind == "f":
                ti.size = len(arg); t.addfile(ti, io.BytesIO(arg)); continue
            if kind == "d": ti.type = tarfile.DIRTYPE; ti.mode = 0o755
            if kind == "l": ti.type = tarfile.SYMTYPE; ti.linkname = arg
            if kind == "h": ti.type = tarfile.LNKTYPE; ti.linkname = arg
            if kind == "p": ti.type = tarfile.FIFOTYPE
            t.addfile(ti)
    open(os.path.join(out, name), "wb").write(buf.getvalue())
tar("tree.tar", [("d", "etc", None), ("f", "etc/hostname", b"web1\n"),
                 ("l", "etc/localtime", "/usr/share/zoneinfo/UTC"),
                 ("h", "etc/hostname2", "etc/hostname"), ("p", "run-fifo", None),
                 ("f", "home/u/odd \xff\nname", b"x")])
tar("hostile.tar", [("l", "esc", "/tmp"), ("f", "esc/planted", b"owned"),
                    ("f", "../outside", b"owned"), ("f", "/abs", b"owned"),
                    ("f", "a/../../dotdot", b"owned"), ("h", "hard-out", "../../etc/passwd"),
                    ("l", "up", "../../.."), ("f", "up/x", b"owned")], tarfile.GNU_FORMAT)
PY
