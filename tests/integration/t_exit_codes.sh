# t_exit_codes.sh - command x condition -> exit code, as man/lifeboat-snap.1
# and man/lifeboat-extract.1 (EXIT STATUS) document them, one row each;
# a row also names a piece of the message that says the way out

setup_file() {
	cloud_start --tls
	head -c 300000 /dev/urandom >"$WORK/disk.img"
	ctl config '{"save_delay": 0.2, "transition_s": 0.1}' >/dev/null
	add_server "{\"name\": \"db\", \"disk\": \"$WORK/disk.img\"}"
	add_server "{\"name\": \"vol\", \"disk\": \"$WORK/disk.img\", \"volume_backed\": true, \"size_gb\": 1}"
	add_server "{\"name\": \"data\", \"disk\": \"$WORK/disk.img\", \"data_volumes\": [5]}"
	add_server '{"name": "twin"}'
	add_server '{"name": "twin"}'
	add_server '{"name": "bare"}'
	IMG=$(snap create db 2>/dev/null) || return 1
	KILLED=$(ctl images '{"name": "x-killed", "status": "killed", "size": null}' | json_id)
	SAVING=$(ctl images '{"name": "x-saving", "status": "saving", "size": null}' | json_id)
	ctl images '{"name": "x-twin"}' >/dev/null
	ctl images '{"name": "x-twin"}' >/dev/null
	E=$WORK/ec
	mkdir -p "$E/adir" "$E/dest" "$HOME/.config/openstack"
	echo precious >"$E/exists"
	echo other >"$E/other.qcow2"
	sha512sum "$WORK/disk.img" | sed 's/ .*/  bad.qcow2/' >"$E/bad.qcow2.sha512"
	echo corrupt >"$E/bad.qcow2"
	printf 'clouds:\n  alpha:\n    auth:\n      auth_url: %s\n  beta:\n    region_name: X\n' \
		"$OS_AUTH_URL" >"$HOME/.config/openstack/clouds.yaml"
	: >"$E/manifest"
	LONG=$(printf 'x%.0s' $(seq 256))
	DEADPORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
}

json_id() { /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'; }

# CODE :: what stderr says :: set-up for the row (or -) :: the command.
# Evaluated one by one, so $IMG and the like are the ones setup_file made.
rows() {
	cat <<'EOF'
2 :: unknown command 'nosuch' :: - :: snap nosuch
2 :: guard needs --max-age :: - :: snap guard db
2 :: --reason is 256 characters long \(256 bytes\); Nova and Glance take at most 255 characters :: - :: snap create db --reason "$LONG"
2 :: no terminal to ask on: pass --yes :: - :: snap retire db --download "$E/r1.qcow2" --stop
2 :: retire deletes only after --stop .* or an explicit --live :: - :: snap retire db --download "$E/r2.qcow2" --yes
2 :: standard output is a terminal :: - :: /usr/bin/python3 "$TOP/tests/integration/pty_run.py" x "$LIFEBOAT_BIN/lifeboat-snap" download "$IMG" - >&2
3 :: OS_PASSWORD :: unset OS_PASSWORD :: snap auth
3 :: the CA file '/nonexistent/ca.crt' .* cannot be read: No such file :: export OS_CACERT=/nonexistent/ca.crt :: snap auth
3 :: region 'Mars' is not in the catalog of .*; its regions: 'RegionOne' :: - :: snap auth --os-region-name Mars
3 :: cloud 'nosuch' not found; the clouds there are: 'alpha', 'beta' \(read '.*/openstack/clouds.yaml'\) :: - :: snap auth --os-cloud nosuch
4 :: the user and password were rejected :: export OS_PASSWORD=wrong :: snap auth
4 :: project 'nosuch' was not found or is not yours :: export OS_PROJECT_NAME=nosuch :: snap auth
5 :: 127.0.0.1:$DEADPORT :: export OS_AUTH_URL=https://127.0.0.1:$DEADPORT/v3 :: snap auth
6 :: not trusted here: give the CA that signed it with --os-cacert FILE, OS_CACERT, or cacert: in clouds.yaml :: unset OS_CACERT :: snap auth
7 :: no server named|not found|no such server :: - :: snap create nosuch
7 :: IMAGE must be an id or a unique name; see 'lifeboat-snap list' :: - :: snap wait not-an-id
7 :: IMAGE must be an id or a unique name :: - :: snap show not-an-id
7 :: IMAGE must be an id or a unique name :: - :: snap download not-an-id "$E/n1"
8 :: twin :: - :: snap create twin
8 :: 'x-twin' names 2 images; give one of their ids :: - :: snap show x-twin
9 :: its save failed .*lifeboat-snap create SERVER :: - :: snap download "$KILLED" "$E/k1"
9 :: must be stopped before its disk can be saved .*--stop :: - :: snap create vol
9 :: --live is not enough; run again with --stop :: - :: snap retire vol --download "$E/v1.qcow2" --live --yes
10 :: still 'saving' after 1s :: - :: snap wait "$SAVING" --timeout 1s
11 :: bad.qcow2 :: - :: snap verify "$E/bad.qcow2"
12 :: refuses image downloads \(HTTP 403\) :: faults '[{"path": "/file$", "status": 403, "times": 5}]' :: snap download "$IMG" "$E/f403"
13 :: 'exists' exists: it is never overwritten without --force|exists: it is never overwritten :: - :: snap download "$IMG" "$E/exists"
13 :: is a directory: name a file in it :: - :: snap download "$IMG" "$E/adir" --force
13 :: directory '.*nodir': No such file or directory :: - :: snap create db --download "$E/nodir/f.qcow2"
14 :: NOT SAFE: no lifeboat image of 'bare' :: - :: snap guard bare --max-age 2h
14 :: NOT SAFE: .*the local copy is missing :: - :: snap guard db --max-age 2h --file "$E/missing.qcow2"
14 :: NOT SAFE: .*is not image .*: its sha512 differs :: - :: snap guard db --max-age 2h --file "$E/other.qcow2"
14 :: NOT SAFE: the newest complete image .* older than --max-age :: sleep 1.1 :: snap guard db --max-age 1s
14 :: data volume\(s\) attached .*--volumes-ok :: - :: snap retire data --download "$E/d1.qcow2" --stop --yes
130 :: interrupted: the snapshot goes on in the cloud; wait for it with: lifeboat-snap wait :: - :: timeout --preserve-status -s INT 1 "$LIFEBOAT_BIN/lifeboat-snap" wait "$SAVING" --timeout 1m
8 :: cannot open DEST '.*nodest': No such file or directory: every entry of the manifest is missing :: - :: "$LIFEBOAT_BIN/lifeboat-extract" verify "$E/nodest" "$E/manifest"
1 :: cannot open MANIFEST :: - :: "$LIFEBOAT_BIN/lifeboat-extract" verify "$E/dest" "$E/nomanifest"
EOF
}

t_every_row_exits_as_documented() {
	local code re pre cmd rc n=0 bad=0 line
	while IFS= read -r line; do
		code=${line%% :: *}; line=${line#* :: }
		re=${line%% :: *}; line=${line#* :: }
		pre=${line%% :: *}; cmd=${line#* :: }
		n=$((n + 1))
		set +e
		( [ "$pre" = - ] || eval "$pre"; eval "$cmd" ) >"$WORK/out" 2>"$WORK/err" </dev/null
		rc=$?
		set -e
		no_faults
		re=$(eval "printf '%s' \"$re\"")
		if [ "$rc" != "$code" ]; then
			echo "    row $n: exit $rc, documented $code: $cmd"
			sed 's/^/      /' "$WORK/err" | head -3
			bad=$((bad + 1))
		elif ! grep -qE -- "$re" "$WORK/err"; then
			echo "    row $n: exit $rc as documented, but stderr lacks /$re/: $cmd"
			sed 's/^/      /' "$WORK/err" | head -3
			bad=$((bad + 1))
		fi
	done < <(rows)
	echo "    $n rows, $bad wrong"
	[ "$bad" = 0 ]
}

# No state-changing request reached the cloud from any refusal above but
# the saves the rows asked for (none): each was refused before acting.
t_no_row_changed_anything() {
	local n
	n=$(ctl_get requests | /usr/bin/python3 -c '
import json, sys
print(sum(1 for r in json.load(sys.stdin)["requests"]
          if r["method"] in ("POST", "PUT", "PATCH", "DELETE") and "/identity/" not in r["path"]
          and not r["path"].startswith("/_test")))')
	expect_eq "$n" 1 # the one create of setup_file
}

# The TLS hint never offers --insecure first.
t_untrusted_certificate_does_not_suggest_insecure() {
	unset OS_CACERT
	run snap auth
	expect_rc 6
	expect_not 'insecure'
}
