# t_systemd.sh - the shipped units: valid systemd units, credentials by
# LoadCredential= only, a timer whose Persistent=true cannot loop, and
# their commands, run as systemd would (unit_run.py: systemd is not PID 1
# here), saving a server of the TLS test cloud with the password read from
# $CREDENTIALS_DIRECTORY

UNITS=$TOP/contrib/systemd

setup_file() {
	cloud_start --tls
	"$TOP/tests/cloud/make-disk.sh" "$WORK/disk.img"
	ctl config '{"save_delay": 0.1, "transition_s": 0.05}' >/dev/null
	add_server "{\"name\": \"chat\", \"disk\": \"$WORK/disk.img\"}"
}

# a root holding what an operator (or the Ansible role) lays down
make_root() {
	local root=$1
	mkdir -p "$root/etc/lifeboat/credentials" "$root/home"
	chmod 700 "$root/etc/lifeboat/credentials"
	{ echo clouds:; cloud_entry test; } >"$root/etc/lifeboat/credentials/clouds.yaml"
	printf '%s\n' "$OS_PASSWORD" >"$root/etc/lifeboat/credentials/os_password"
	chmod 600 "$root/etc/lifeboat/credentials/"*
	sed 's/^OS_CLOUD=.*/OS_CLOUD=test/; s/^LIFEBOAT_SNAP_OPTIONS=.*/LIFEBOAT_SNAP_OPTIONS=--timeout 60s/; s/^LIFEBOAT_KEEP=.*/LIFEBOAT_KEEP=2/' \
		"$UNITS/snap.env.example" >"$root/etc/lifeboat/snap.env"
	echo "LIFEBOAT_METRICS_DIR=$root/metrics" >>"$root/etc/lifeboat/snap.env"
	mkdir -p "$root/metrics"
}

t_units_verify() {
	if ! command -v systemd-analyze >/dev/null; then
		echo "    SKIPPED: systemd-analyze not installed (systemd)"
		return 0
	fi
	local dir=$WORK/units
	mkdir -p "$dir" "$WORK/etc"
	# verify needs the binary the unit names to exist; point it at ours
	sed "s|/usr/local/bin/lifeboat-snap|$LIFEBOAT_BIN/lifeboat-snap|; s|/etc/lifeboat/snap.env|$WORK/etc/snap.env|" \
		"$UNITS/lifeboat-snap@.service" >"$dir/lifeboat-snap@.service"
	cp "$UNITS/lifeboat-snap@.timer" "$dir/"
	cp "$UNITS/snap.env.example" "$WORK/etc/snap.env"
	run systemd-analyze verify --man=no "$dir/lifeboat-snap@chat.service" "$dir/lifeboat-snap@chat.timer"
	expect_rc 0
	expect_not 'lifeboat-snap@'
	grep -q '^Type=oneshot$' "$dir/lifeboat-snap@.service" || fail "service not a oneshot"
}

# Persistent=true replays a run missed while the machine was off, once, at
# boot. Safe only for a oneshot that finishes and never reboots the machine
# (the reboot loop behind lifeboat): the timer's unit must stay so.
t_persistent_timer_cannot_loop() {
	local svc=$UNITS/lifeboat-snap@.service tmr=$UNITS/lifeboat-snap@.timer
	grep -q '^Persistent=true$' "$tmr" || fail "timer not persistent"
	grep -q '^Unit=' "$tmr" && fail "the timer starts some other unit"
	grep -q '^Type=oneshot$' "$svc" || fail "service not a oneshot"
	grep -qE '^(Restart=(always|on-)|RemainAfterExit=yes)' "$svc" && fail "service does not finish"
	grep -qiE '^(FailureAction|SuccessAction|StartLimitAction|JobTimeoutAction)=.*(reboot|poweroff|exit)' "$svc" &&
		fail "service can reboot the machine"
	grep -qE '^(OnFailure|OnSuccess)=' "$svc" && fail "service triggers another unit"
	grep -qiE 'reboot|systemctl|shutdown' <(grep '^Exec' "$svc") && fail "service runs a reboot"
	return 0
}

# no secret in the environment: credentials come by LoadCredential= alone
t_credentials_by_load_credential_only() {
	local svc=$UNITS/lifeboat-snap@.service
	grep -q '^LoadCredential=clouds.yaml:/etc/lifeboat/credentials/clouds.yaml$' "$svc" ||
		fail "no clouds.yaml credential"
	grep -q '^LoadCredential=os_password:/etc/lifeboat/credentials/os_password$' "$svc" ||
		fail "no os_password credential"
	grep -q '^Environment=OS_CLIENT_CONFIG_FILE=%d/clouds.yaml$' "$svc" || fail "clouds.yaml not read from %d"
	grep -qiE '^Environment=.*(PASSWORD|SECRET|TOKEN)' "$svc" && fail "a secret in Environment="
	grep -qiE '^(OS_PASSWORD|OS_APPLICATION_CREDENTIAL_SECRET|OS_TOKEN)=' "$UNITS/snap.env.example" &&
		fail "a secret in snap.env"
	grep -qE '^EnvironmentFile=.*(cred|secret|password)' "$svc" && fail "secrets from an environment file"
	return 0
}

t_password_from_credentials_directory() {
	unset OS_PASSWORD
	local creds=$WORK/creds
	mkdir -p "$creds"
	run snap auth </dev/null
	[ "$RC" != 0 ] || fail "authenticated without any password"
	expect_err 'no password'
	printf '%s\n' demo-secret >"$creds/os_password"
	CREDENTIALS_DIRECTORY=$creds run snap auth </dev/null
	expect_rc 0
	# it is this file that is read: a wrong one fails
	printf 'wrong\n' >"$creds/os_password"
	CREDENTIALS_DIRECTORY=$creds run snap auth </dev/null
	[ "$RC" != 0 ] || fail "a wrong credential authenticated"
	# OS_PASSWORD, set, wins (the command line's rule: nearer wins)
	OS_PASSWORD=demo-secret CREDENTIALS_DIRECTORY=$creds run snap auth </dev/null
	expect_rc 0
	: >"$creds/os_password"
	CREDENTIALS_DIRECTORY=$creds run snap auth </dev/null
	[ "$RC" != 0 ] || fail "an empty credential authenticated"
	expect_err 'os_password: empty'
	rm -f "$creds/os_password"
	CREDENTIALS_DIRECTORY=$creds run snap auth </dev/null
	expect_err 'no password'
}

t_service_commands_save_and_prune() {
	local root=$WORK/root
	make_root "$root"
	local i
	for i in 1 2 3; do
		run env -u OS_PASSWORD -u OS_AUTH_URL -u OS_USERNAME -u OS_PROJECT_NAME -u OS_CACERT \
			/usr/bin/python3 "$TOP/tests/integration/unit_run.py" "$UNITS/lifeboat-snap@.service" chat \
			--root "$root" --bin-dir "$LIFEBOAT_BIN" --creds "$WORK/creds-run" \
			--set HOME="$root/home" --show
		expect_rc 0
	done
	[ -e "$WORK/creds-run" ] && fail "credentials directory left behind"
	# three saves, the newest two kept (LIFEBOAT_KEEP=2 in snap.env)
	run snap list chat --json
	expect_rc 0
	expect_eq "$(json_get 'len(d["images"])')" 2
	[ -s "$root/metrics/lifeboat-chat.prom" ] || fail "no metrics file"
	run promtool check metrics <"$root/metrics/lifeboat-chat.prom"
	expect_rc 0
	grep -q '^lifeboat_last_success_timestamp_seconds{.*server="chat"' \
		"$root/metrics/lifeboat-chat.prom" || fail "no success timestamp for chat"
}
