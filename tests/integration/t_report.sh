# t_report.sh - the post-mortem report of receipts anyone could have
# edited: a field of the wrong type is refused with exit 13 naming it,
# as an error document under --json; no cloud is needed

setup_file() {
	# a receipt with every field report reads, as retire writes them
	cat >"$WORK/good.retire.json" <<'JSON'
{"schema": 1, "command": "retire", "lifeboat_version": "0.1.0", "file": "/srv/keep/old1.qcow2",
 "server": {"id": "ffffffff-0000-4000-8000-000000000009", "name": "old1", "display_name": "old1",
            "status": "ACTIVE", "task_state": null, "flavor": "g-2gb", "boot_source": "image",
            "addresses": {"ext-net": [{"addr": "192.0.2.9", "version": 4}]}},
 "boot_volume": null,
 "image_id": "abababab-0000-4000-8000-000000000001",
 "images": [{"id": "abababab-0000-4000-8000-000000000001", "consistency": "stopped",
             "accepted_at": "2026-12-01T10:00:05Z"}],
 "image": {"id": "abababab-0000-4000-8000-000000000001", "name": "x", "status": "active",
           "size": 200000, "disk_format": "qcow2", "created_at": "2026-12-01T10:00:04Z",
           "hashes": {"sha512": "aa", "md5": "bb"}, "lifeboat": true,
           "server_id": "ffffffff-0000-4000-8000-000000000009", "server_display_name": "old1",
           "saved_at": null, "consistency": "stopped", "reason": null},
 "local": {"path": "/srv/keep/old1.qcow2", "hashes": {"sha512": "aa"},
           "verified_at": "2026-12-01T10:01:00Z"},
 "runs": [{"started_at": "2026-12-01T10:00:00Z", "local_user": "ops@host",
           "lifeboat_version": "0.1.0", "uid": 1000,
           "openstack": {"user": "demo", "user_id": "u1", "project": "demo", "project_id": "p1"}}],
 "inventory": {"file": "/srv/inv.json", "attached_at": "2026-12-01T09:59:00Z",
               "result": {"os": true, "package_manager": "dpkg", "packages": 312, "entries": 20456,
                          "hidden": {"roots": 1, "size": 4096},
                          "unprotected": {"roots": 2, "size": 123456}, "warnings": []}},
 "steps": {"record": {"outcome": "done", "started_at": "2026-12-01T10:00:00Z"},
           "snapshot": {"outcome": "done", "started_at": "2026-12-01T10:00:01Z"},
           "download": {"outcome": "done"},
           "delete": {"outcome": "failed", "exit_status": 9, "started_at": "2026-12-01T10:02:00Z"}}}
JSON
	# each hostile receipt: the good one with one field changed, and the
	# field the refusal must name
	/usr/bin/python3 - "$WORK" <<'PY'
import copy, json, sys
good = json.load(open(sys.argv[1] + "/good.retire.json"))
def runs(v): return lambda d: d.__setitem__("runs", v)
def at(path, v):
    def f(d):
        *head, last = path
        for k in head:
            d = d[k]
        d[last] = v
    return f
def drop(path):
    def f(d):
        *head, last = path
        for k in head:
            d = d[k]
        del d[last]
    return f
cases = [
    ("runs-string", runs("alice"), "runs is a string, not an array"),
    ("run-number", runs([5]), r"runs\[0\] is an integer, not an object"),
    ("run-uid-string", at(["runs", 0, "uid"], "1000"), r"runs\[0\]\.uid is a string"),
    ("run-no-user", drop(["runs", 0, "local_user"]), r"runs\[0\]\.local_user is missing"),
    ("run-openstack-string", at(["runs", 0, "openstack"], "demo"), r"runs\[0\]\.openstack is a string"),
    ("run-os-user-number", at(["runs", 0, "openstack", "user"], 5), r"runs\[0\]\.openstack\.user is an integer"),
    ("server-id-object", at(["server", "id"], {"a": 1}), "server.id is an object, not a string or null"),
    ("server-array", at(["server"], []), "server is an array, not an object"),
    ("server-name-true", at(["server", "display_name"], True), "server.display_name is a boolean"),
    ("addresses-array", at(["server", "addresses"], ["10.0.0.1"]), "server.addresses is an array"),
    ("address-string", at(["server", "addresses", "ext-net"], "10.0.0.1"), "server.addresses.ext-net is a string"),
    ("addr-number", at(["server", "addresses", "ext-net", 0, "addr"], 7), r"server.addresses.ext-net\[0\]\.addr is an integer"),
    ("image-id-number", at(["image", "id"], 7), "image.id is an integer"),
    ("image-size-string", at(["image", "size"], "200000"), "image.size is a string"),
    ("image-size-real", at(["image", "size"], 2.5), "image.size is a number with a fraction"),
    ("hash-number", at(["image", "hashes", "sha512"], 5), "image.hashes.sha512 is an integer"),
    ("md5-array", at(["image", "hashes", "md5"], []), "image.hashes.md5 is an array"),
    ("images-object", at(["images"], {"a": 1}), "images is an object, not an array"),
    ("image-seen-at", at(["images", 0, "accepted_at"], 3), r"images\[0\]\.accepted_at is an integer"),
    ("local-hashes-string", at(["local", "hashes"], "aa"), "local.hashes is a string"),
    ("local-path-number", at(["local", "path"], 1), "local.path is an integer"),
    ("file-object", at(["file"], {}), "file is an object"),
    ("step-number", at(["steps", "delete"], 7), "steps.delete is an integer, not an object"),
    ("step-exit-string", at(["steps", "delete", "exit_status"], "9"), "steps.delete.exit_status is a string"),
    ("step-outcome-null", at(["steps", "delete", "outcome"], None), "steps.delete.outcome is null, not a string"),
    ("inventory-number", at(["inventory"], 3), "inventory is an integer"),
    ("packages-string", at(["inventory", "result", "packages"], "312"), "inventory.result.packages is a string"),
    ("hidden-array", at(["inventory", "result", "hidden"], [1]), "inventory.result.hidden is an array"),
    ("unprotected-roots", at(["inventory", "result", "unprotected", "roots"], "2"), "inventory.result.unprotected.roots is a string"),
    ("os-string", at(["inventory", "result", "os"], "yes"), "inventory.result.os is a string"),
    ("warnings-number", at(["inventory", "result", "warnings"], 1), "inventory.result.warnings is an integer"),
    ("boot-volume-number", at(["boot_volume"], 1), "boot_volume is an integer"),
    ("escape-in-key", at(["steps", "x\u001b[2J"], 1), r"steps\.x\\x1b\[2J is an integer"),
]
with open(sys.argv[1] + "/hostile.list", "w") as out:
    for name, change, why in cases:
        d = copy.deepcopy(good)
        change(d)
        json.dump(d, open(f"{sys.argv[1]}/{name}.retire.json", "w"))
        out.write(f"{name}\t{why}\n")
PY
}

valid() { # valid [--as KIND]: the one schema accepts $OUT
	local problems
	problems=$(/usr/bin/python3 "$TOP/tests/json/validate.py" "$TOP/tests/json/schema.json" "$@" <<<"$OUT") ||
		fail "not valid: $problems"
}

t_a_good_receipt_reports() {
	run snap report "$WORK/good.retire.json" --json
	expect_rc 0
	valid
	expect_eq "$(json_get 'd["runs"][0]["openstack"]["user"], d["image"]["hash"], d["outcome"]["exit_status"]')" \
		"demo aa 9"
	run snap report "$WORK/good.retire.json"
	expect_rc 0
	expect_out '^run by: +ops@host, OpenStack user demo'
	# what a later version may add to a run is left out, not refused
	/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["runs"][0]["pid"]=7; d["runs"].append({"started_at": "t", "local_user": "u", "lifeboat_version": "v", "uid": 0}); json.dump(d, open(sys.argv[2], "w"))' \
		"$WORK/good.retire.json" "$WORK/later.retire.json"
	run snap report "$WORK/later.retire.json" --json
	expect_rc 0
	valid
	expect_eq "$(json_get 'len(d["runs"]), "pid" in d["runs"][0], "openstack" in d["runs"][1]')" "2 False False"
	# null where retire writes null, and no inventory at all
	/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["inventory"]=None; d["server"]["flavor"]=None; d["image"]["hashes"]={}; del d["runs"]; json.dump(d, open(sys.argv[2], "w"))' \
		"$WORK/good.retire.json" "$WORK/nulls.retire.json"
	run snap report "$WORK/nulls.retire.json" --json
	expect_rc 0
	valid
	expect_eq "$(json_get 'd["inventory"], d["runs"], d["image"]["hash"]')" "None [] None"
}

t_each_wrong_type_is_refused_naming_it() {
	local name why n=0
	mkdir -p "$WORK/docs"
	while IFS=$'\t' read -r name why; do
		n=$((n + 1))
		run snap report "$WORK/$name.retire.json" --json
		expect_rc 13 || fail "case $name"
		printf '%s\n' "$OUT" >"$WORK/docs/$name.json"
		run snap report "$WORK/$name.retire.json"
		expect_rc 13 || fail "case $name"
		expect_err "$name.retire.json' is not a retire receipt lifeboat wrote: $why" || fail "case $name"
		[ -z "$OUT" ] || fail "case $name: printed a report"
		grep -q $'\033' <<<"$ERR" && fail "case $name: an escape reached the terminal"
	done <"$WORK/hostile.list"
	[ "$n" -ge 30 ] || fail "only $n cases"
	# every --json output an error document of the schema, naming the field
	/usr/bin/python3 "$TOP/tests/json/validate.py" "$TOP/tests/json/schema.json" --as error "$WORK"/docs/*.json ||
		fail "not valid"
	/usr/bin/python3 - "$WORK" <<-'PY' || fail "an error document is not the refusal"
	import json, re, sys
	bad = 0
	for line in open(sys.argv[1] + "/hostile.list"):
	    name, why = line.rstrip("\n").split("\t")
	    d = json.load(open(f"{sys.argv[1]}/docs/{name}.json"))
	    e = d["error"]
	    if (d["command"], e["exit_status"]) != ("report", 13) or \
	            not re.search("not a retire receipt lifeboat wrote: " + why, e["message"]):
	        print(f"{name}: {d}")
	        bad += 1
	sys.exit(1 if bad else 0)
	PY
}
