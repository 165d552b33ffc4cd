# t_json.sh - every command's --json, and the files lifeboat writes for
# scripts, against the one schema (tests/json/schema.json, documented in
# man/lifeboat-json.7); an error is a document too; the files of the
# version before are still read

setup_file() {
	cloud_start --tls
	head -c 600000 /dev/urandom >"$WORK/disk.img"
	add_server "{\"name\": \"web\", \"disk\": \"$WORK/disk.img\", \"disk_format\": \"raw\"}"
	add_server "{\"name\": \"vm-12ab34cd\", \"metadata\": {\"instance_name_tag\": \"chat\"},
	             \"disk\": \"$WORK/disk.img\", \"disk_format\": \"raw\"}"
	add_server "{\"name\": \"bare\", \"disk\": \"$WORK/disk.img\", \"disk_format\": \"raw\"}"
	ctl config '{"save_delay": 0.2, "transition_s": 0.1}' >/dev/null
	IMG=$(snap create web) || return 1
	mkdir -p "$WORK/j"
}

setup_each() { no_faults; }

SCHEMA=$TOP/tests/json/schema.json

# doc EXPR - a Python expression on the document in $OUT as d; a tuple
# prints as one
doc() {
	/usr/bin/python3 -c "import json,sys; d=json.loads(sys.stdin.read()); print(($1))" <<<"$OUT"
}

# valid [--as KIND] - $OUT is one document that the schema accepts
valid() {
	local problems
	problems=$(/usr/bin/python3 "$TOP/tests/json/validate.py" "$SCHEMA" "$@" <<<"$OUT") ||
		fail "not valid: $problems"
}

valid_file() { # valid_file KIND FILE
	/usr/bin/python3 "$TOP/tests/json/validate.py" "$SCHEMA" --as "$1" "$2" ||
		fail "$2 is not a valid $1"
}

t_auth_and_servers() {
	run snap auth --json
	expect_rc 0; valid
	expect_eq "$(doc 'd["schema"], d["command"], "token" in d')" "(1, 'auth', False)"
	run snap auth --json --show-token
	expect_rc 0; valid
	expect_eq "$(doc '"token" in d')" True
	run snap servers --json
	expect_rc 0; valid
	# one server shape: name is Nova's, display_name ConoHa's tag
	expect_eq "$(doc '[(s["name"], s["display_name"]) for s in d["servers"] if s["name"] == "vm-12ab34cd"]')" \
		"[('vm-12ab34cd', 'chat')]"
	expect_eq "$(doc '[s["display_name"] for s in d["servers"] if s["name"] == "web"]')" "['web']"
}

t_images_create_wait_show_list() {
	run snap create chat --json
	expect_rc 0; valid
	local id
	id=$(doc 'd["image"]["id"]')
	expect_eq "$(doc 'd["image"]["status"], d["download"]')" "('active', None)"
	# an image names its server the way a server object does: by id,
	# and the name shown (display_name), never Nova's name as server_name
	expect_eq "$(doc 'd["image"]["server_display_name"]')" chat
	run snap create web --no-wait --json
	expect_rc 0; valid
	run snap wait "$(doc 'd["image"]["id"]')" --json
	expect_rc 0; valid
	expect_eq "$(doc 'd["image"]["status"]')" active
	run snap show "$id" --json
	expect_rc 0; valid
	expect_eq "$(doc 'd["glance"]["id"] == d["image"]["id"]')" True
	# one hashes shape: {algorithm: value}, as Glance's os_hash_* say
	expect_eq "$(doc 'd["image"]["hashes"]["sha512"] == d["glance"]["os_hash_value"]')" True
	expect_eq "$(doc 'd["image"]["hashes"]["md5"] == d["glance"]["checksum"]')" True
	run snap list --json
	expect_rc 0; valid
	expect_eq "$(doc '[i["server_id"] is not None for i in d["images"]].count(False)')" 0
	run snap list --all --json
	expect_rc 0; valid
	run snap create web --download "$WORK/j/c.qcow2" --json
	expect_rc 0; valid
	expect_eq "$(doc 'd["download"]["file"], d["download"]["image"]["id"] == d["image"]["id"]')" \
		"('$WORK/j/c.qcow2', True)"
}

t_prune_dry_run_names_what_it_would_delete() {
	snap create bare >/dev/null 2>&1
	snap create bare >/dev/null 2>&1
	run snap prune bare --keep 1 --dry-run --json
	expect_rc 0; valid
	expect_eq "$(doc 'd["dry_run"], len(d["deleted"]), len(d["would_delete"]), len(d["kept"])')" \
		"(True, 0, 1, 1)"
	expect_eq "$(doc 'd["kept"][0]["because"]')" "within --keep"
	run snap prune bare --keep 1 --json
	expect_rc 0; valid
	expect_eq "$(doc 'd["dry_run"], len(d["deleted"]), len(d["would_delete"])')" "(False, 1, 0)"
}

t_download_document_is_its_sidecar() {
	run snap download "$IMG" "$WORK/j/d.qcow2" --all-hashes --json
	expect_rc 0; valid
	valid_file FILE.json "$WORK/j/d.qcow2.json"
	expect_eq "$(doc "d == json.load(open('$WORK/j/d.qcow2.json'))")" True
	expect_eq "$(doc 'sorted(d["hashes"]), d["verified_with"]')" "(['md5', 'sha512'], ['sha512', 'md5'])"
	expect_eq "$(doc 'd["hashes"]["sha512"]')" "$(sha512sum "$WORK/disk.img" | cut -d' ' -f1)"
}

t_verify_match_and_mismatch() {
	snap download "$IMG" "$WORK/j/v.qcow2" 2>/dev/null >/dev/null
	run snap verify "$WORK/j/v.qcow2" --json
	expect_rc 0; valid
	expect_eq "$(doc 'd["ok"], d["against"], d["mismatch"], d["checksum_ok"]')" "(True, 'sidecar', [], True)"
	run snap verify "$WORK/j/v.qcow2" "$IMG" --json
	expect_rc 0; valid
	expect_eq "$(doc 'd["against"], d["image_id"]')" "('image', '$IMG')"
	flip_byte "$WORK/j/v.qcow2" 4242
	run snap verify "$WORK/j/v.qcow2" "$IMG" --json
	expect_rc 11; valid
	# a mismatch shows what was expected beside what was found
	expect_eq "$(doc 'd["ok"], d["checksum_ok"], d["mismatch"]')" "(False, False, ['sha512'])"
	expect_eq "$(doc 'd["expected"]["sha512"]')" "$(sha512sum "$WORK/disk.img" | cut -d' ' -f1)"
	expect_eq "$(doc 'd["hashes"]["sha512"]')" "$(sha512sum "$WORK/j/v.qcow2" | cut -d' ' -f1)"
	expect_eq "$(doc 'd["error"]["exit_status"]')" 11
}

t_guard_safe_and_not() {
	snap download "$IMG" "$WORK/j/g.qcow2" 2>/dev/null >/dev/null
	run snap guard web --max-age 2h --file "$WORK/j/g.qcow2" --json
	expect_rc 0; valid
	expect_eq "$(doc 'd["ok"], d["server"]["name"], d["file_verified"], d["reason"]')" \
		"(True, 'web', True, None)"
	add_server "{\"name\": \"never\", \"disk\": \"$WORK/disk.img\", \"disk_format\": \"raw\"}"
	run snap guard never --max-age 2h --json
	expect_rc 14; valid
	expect_eq "$(doc 'd["ok"], d["image"], d["error"]["exit_status"]')" "(False, None, 14)"
}

t_retire_dry_run_and_real() {
	add_server "{\"name\": \"old\", \"disk\": \"$WORK/disk.img\", \"disk_format\": \"raw\"}"
	run snap retire old --download "$WORK/j/old.qcow2" --stop --yes --dry-run --json
	expect_rc 0; valid
	expect_eq "$(doc 'd["dry_run"], [s["step"] for s in d["plan"]]')" \
		"(True, ['snapshot', 'download', 'delete'])"
	[ ! -e "$WORK/j/old.qcow2.retire.json" ] || fail "a dry run wrote a receipt"
	run snap retire old --download "$WORK/j/old.qcow2" --stop --yes --json
	expect_rc 0; valid
	valid_file FILE.retire.json "$WORK/j/old.qcow2.retire.json"
	valid_file FILE.json "$WORK/j/old.qcow2.json"
	expect_eq "$(doc 'd["dry_run"], d["steps"]["delete"]["outcome"], "plan" in d')" "(False, 'done', False)"
	expect_eq "$(doc 'd["local"]["hashes"]["sha512"]')" "$(sha512sum "$WORK/disk.img" | cut -d' ' -f1)"
}

# With --json, a failure is one document too: what the command had, and
# "error" with the exit status and the message; a usage error (2) is not.
t_errors_are_documents() {
	run snap show 00000000-0000-4000-8000-00000000dead --json
	expect_rc 7; valid
	expect_eq "$(doc 'sorted(d), d["error"]["exit_status"]')" "(['command', 'error', 'schema'], 7)"
	expect_eq "$(doc 'd["error"]["message"] in d["error"]["messages"]')" True
	expect_err 'dead'
	OS_PASSWORD=wrong run snap auth --json
	expect_rc 4; valid
	expect_eq "$(doc 'd["command"], d["error"]["exit_status"]')" "('auth', 4)"
	run snap verify "$WORK/j/nonexistent.qcow2" --json
	expect_rc 13; valid
	run snap servers --json --os-cacert "$WORK/j/no-such-ca.crt"
	[ "$RC" != 0 ] || fail "a missing CA file was accepted"
	valid
	# every command that acts on something, given something that is not there
	local bad=00000000-0000-4000-8000-00000000dead c
	for c in "create nosuch" "wait $bad --timeout 1s" "download $bad $WORK/j/x.qcow2" \
		"guard nosuch --max-age 1h" "retire nosuch --download $WORK/j/n.qcow2 --stop --yes" \
		"list $bad --all" "prune nosuch --keep 1"; do
		run snap $c --json
		valid
		expect_eq "$(doc 'd["command"], d.get("error", {}).get("exit_status", 0)')" "('${c%% *}', $RC)"
	done
	run snap prune web --json
	expect_rc 2
	expect_eq "$OUT" ""
	run snap frobnicate --json
	expect_rc 2
	expect_eq "$OUT" ""
}

# FILE.json and FILE.retire.json of the version before (no schema, flat
# image_id/algorithm/hash, os_hash_* in the receipt) are still read: a
# rerun adopts the verified file and finishes.
t_old_receipt_and_sidecar_are_read() {
	add_server "{\"name\": \"legacy\", \"disk\": \"$WORK/disk.img\", \"disk_format\": \"raw\"}"
	local f=$WORK/j/legacy.qcow2
	faults '[{"path": "/compute/.*/servers/[^/]+$", "method": "DELETE", "status": 500, "times": 100}]'
	run snap retire legacy --download "$f" --stop --yes
	no_faults
	[ "$RC" != 0 ] || fail "the delete did not fail"
	[ -f "$f.retire.json" ] && [ -f "$f.json" ] || fail "no receipt or sidecar"
	/usr/bin/python3 - "$f" <<'PY'
import json, sys
f = sys.argv[1]
s = json.load(open(f + ".json"))
old = {"image_id": s["image"]["id"], "image_name": s["image"]["name"],
       "disk_format": s["image"]["disk_format"], "server_id": s["image"]["server_id"],
       "server_name": s["image"]["server_display_name"], "file": s["file"], "size": s["size"],
       "algorithm": "sha512", "hash": s["hashes"]["sha512"], "md5": None,
       "verified_with": s["verified_with"], "started_at": s["started_at"],
       "finished_at": s["finished_at"], "source_url": s["source_url"]}
json.dump(old, open(f + ".json", "w"), indent=2)
r = json.load(open(f + ".retire.json"))
del r["schema"], r["command"]
del r["server"]["task_state"]
i = r["image"]
r["image"] = {"id": i["id"], "consistency": i["consistency"], "created_at": i["created_at"],
              "os_hash_algo": "sha512", "os_hash_value": i["hashes"]["sha512"],
              "checksum": i["hashes"].get("md5"), "size": i["size"]}
r["local"] = {"path": r["local"]["path"], "sha512": r["local"]["hashes"]["sha512"]}
json.dump(r, open(f + ".retire.json", "w"), indent=2)
PY
	ctl reset-requests >/dev/null
	run snap retire legacy --download "$f" --stop --yes --json
	expect_rc 0; valid
	expect_eq "$(count_requests GET '/file$')" 0
	expect_eq "$(doc 'd["schema"], d["steps"]["delete"]["outcome"], d["image"]["hashes"]["sha512"] == d["local"]["hashes"]["sha512"]')" \
		"(1, 'done', True)"
	# verify reads the old flat disk_format as well
	cp "$WORK/disk.img" "$WORK/j/flat.img"
	sha512sum "$WORK/j/flat.img" | sed 's|  .*|  flat.img|' >"$WORK/j/flat.img.sha512"
	printf '{"image_id": "x", "disk_format": "raw", "algorithm": "sha512", "hash": "%s"}\n' \
		"$(cut -d' ' -f1 "$WORK/j/flat.img.sha512")" >"$WORK/j/flat.img.json"
	run snap verify "$WORK/j/flat.img" --json
	expect_rc 0; valid
	expect_eq "$(doc 'd["disk_format"]')" raw
}

# lifeboat-extract's documents, read natively from a raw ext4 image the
# test makes (no appliance)
t_extract_documents() {
	local d=$WORK/jx X="$LIFEBOAT_BIN/lifeboat-extract --reader native"
	rm -rf "$d" && mkdir -p "$d/tree/srv/data" "$d/tree/etc"
	echo hello >"$d/tree/srv/data/a.txt"
	echo x >"$d/tree/etc/hostname"
	truncate -s 8M "$d/disk.img"
	mkfs.ext4 -q -F -d "$d/tree" "$d/disk.img"
	local cmd
	for cmd in "filesystems $d/disk.img" "ls $d/disk.img /" "ls $d/disk.img / -l -R" \
		"copy $d/disk.img /srv $d/out --manifest $d/m --no-progress" "verify $d/out $d/m" \
		"inventory $d/disk.img"; do
		# verify opens no image, and takes no --reader
		if [ "${cmd%% *}" = verify ]; then
			run "$LIFEBOAT_BIN/lifeboat-extract" $cmd --json
		else
			run $X $cmd --json
		fi
		expect_rc 0
		valid --extract
		expect_eq "$(doc 'd["schema"], d["command"]')" "(1, '${cmd%% *}')"
	done
	run $X ls "$d/disk.img" /srv -R --json
	expect_eq "$(doc '[e["path"] for e in d["entries"]]')" "['data', 'data/a.txt']"
	# the cloud's word in a sidecar of schema 1 is read: one that calls
	# this raw disk qcow2 is refused
	printf '{"schema": 1, "command": "download", "image": {"id": "x", "disk_format": "qcow2"}}\n' \
		>"$d/disk.img.json"
	run $X filesystems "$d/disk.img" --json
	[ "$RC" != 0 ] || fail "a sidecar saying qcow2 was not read"
	expect_err 'qcow2'
	rm -f "$d/disk.img.json"
}

# a create that fails after the cloud accepted the save still names the
# image, beside the error
t_failed_create_names_its_image() {
	add_server "{\"name\": \"forbid\", \"disk\": \"$WORK/disk.img\", \"disk_format\": \"raw\"}"
	faults '[{"path": "/file$", "status": 403, "times": 50}]'
	run snap create forbid --download "$WORK/j/forbidden.qcow2" --json
	no_faults
	[ "$RC" != 0 ] || fail "the download did not fail"
	valid
	expect_eq "$(doc 'len(d["image"]["id"]) > 0, d["image"]["status"], d["error"]["exit_status"] == '"$RC")" \
		"(True, 'active', True)"
}

# -f json|value|table and -c, as the openstack client has them
t_format_value_and_columns() {
	run snap show "$IMG" -f value -c id -c hashes.sha512 -c name
	expect_rc 0
	expect_eq "$OUT" "$IMG $(sha512sum "$WORK/disk.img" | cut -d' ' -f1) $(snap show "$IMG" --json | doc_of 'd["image"]["name"]')"
	run snap servers -f value -c name -c display_name
	expect_rc 0
	expect_out '^vm-12ab34cd chat$'
	run snap list --format value --column id
	expect_rc 0
	expect_eq "$OUT" "$(snap list --json | doc_of '"\n".join(i["id"] for i in d["images"])')"
	run snap show "$IMG" -f json
	expect_rc 0; valid
	run snap list -f table
	expect_rc 0
	expect_out '^ID +SERVER +CREATED'
	run snap list -f value -c nmae
	expect_rc 2
	expect_eq "$OUT" ""
	expect_err "-c nmae: no such column"
	run snap list -c id
	expect_rc 2
	expect_err 'needs -f value'
	run snap list -f yaml
	expect_rc 2
	run snap show 00000000-0000-4000-8000-00000000dead -f value -c id
	expect_rc 7
	expect_eq "$OUT" ""
}

doc_of() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print(($1))"; }

# -f value is one row a line: a name from the cloud holding a newline or
# an escape made two rows (and drove the terminal); control characters
# are written as \xHH, everything else as it is. show's text writes
# them as '?', as the tables do.
t_format_value_keeps_one_row_a_line() {
	local id
	id=$(ctl images '{"name": "two\nlines\u001b[31m ünï"}' | doc_of 'd["id"]')
	run snap show "$id" -f value -c id -c name
	expect_rc 0
	expect_eq "$OUT" "$id two\\x0alines\\x1b[31m ünï"
	run snap list --all -f value -c id -c name
	expect_eq "$(grep -c . "$WORK/out")" "$(snap list --all --json | doc_of 'len(d["images"])')"
	# the text of show, as the tables: a control character is '?'
	run snap show "$id"
	expect_rc 0
	expect_out '^name: +two\?lines\?\[31m ünï$'
	! grep -q $'\e' "$WORK/out" || fail "show wrote an escape to the terminal"
	ctl image-delete "{\"id\": \"$id\"}" >/dev/null
	# a C1 control (U+009B: a CSI to some terminals) as well
	id=$(ctl images '{"name": "c1\u009b2J"}' | doc_of 'd["id"]')
	run snap show "$id"
	expect_rc 0
	expect_out '^name: +c1\?2J$'
	ctl image-delete "{\"id\": \"$id\"}" >/dev/null
}
