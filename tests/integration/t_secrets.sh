# t_secrets.sh - the password, the application-credential secret and the
# tokens never leave the process: every command, with --debug, under each
# way to authenticate; nothing in stdout, stderr, the files written, the
# command line or environment of a child, nor in a core dump

PW=demo-secret
ACS=ac-secret
TOKEN_RE='tok-[0-9a-f]{32}'

setup_file() {
	cloud_start --tls
	# a real qcow2, so that verify runs qemu-img check on it
	"$TOP/tests/cloud/make-disk.sh" "$WORK/disk.img"
	ctl config '{"save_delay": 0.2, "transition_s": 0.1}' >/dev/null
	# qemu-img, the child verify runs, leaves what it was given
	mkdir -p "$WORK/bin" "$WORK/children"
	cat >"$WORK/bin/qemu-img" <<-WRAP
	#!/bin/sh
	cat /proc/\$\$/cmdline >"$WORK/children/\$\$.cmdline"
	cat /proc/\$\$/environ >"$WORK/children/\$\$.environ"
	exec $(command -v qemu-img || echo /bin/false) "\$@"
	WRAP
	chmod +x "$WORK/bin/qemu-img"
	export PATH=$WORK/bin:$PATH
	TOK=$(snap auth --show-token | sed -n 's/^token: *//p')
	[ -n "$TOK" ]
}

setup_each() {
	no_faults
	rm -f "$WORK"/children/* "$HOME"/.config/openstack/*.yaml
}

# leaks WHAT FILE... - fail when any secret is in any of the files
leaks() {
	local what=$1 f
	shift
	for f in "$@"; do
		if tr '\0' '\n' <"$f" | grep -aqF -e "$PW" -e "$ACS" -e "$TOK" ||
		   tr '\0' '\n' <"$f" | grep -aqE "$TOKEN_RE"; then
			echo "    a secret in $what: $f:"
			tr '\0' '\n' <"$f" | grep -anE -e "$PW|$ACS|$TOKEN_RE" | cut -c1-200 | head -3
			return 0
		fi
	done
	return 1
}

# every_command WHO: run each command of lifeboat-snap with --debug, as
# the current OS_* say, in a directory of its own; check each run
every_command() {
	local who=$1 dir=$WORK/$1 n=0
	rm -rf "$dir" && mkdir -p "$dir" && cd "$dir"
	add_server "{\"name\": \"vm-$who\", \"disk\": \"$WORK/disk.img\"}"
	local img
	img=$(snap create "vm-$who" --debug 2>"$dir/create.err") || fail "create failed"
	leaks "create's stderr" "$dir/create.err" && return 1
	leaks "create's stdout" <(printf '%s' "$img") && return 1
	local cmds=(
		"auth"
		"servers"
		"show $img"
		"wait $img"
		"list vm-$who"
		"list --all --json"
		"download $img $dir/f.qcow2"
		"verify $dir/f.qcow2 $img"
		"verify $dir/f.qcow2"
		"guard vm-$who --max-age 2h --file $dir/f.qcow2"
		"prune vm-$who --keep 1 --dry-run"
		"create vm-$who --download $dir/c.qcow2"
		"retire vm-$who --download $dir/r.qcow2 --stop --yes"
	)
	local c
	for c in "${cmds[@]}"; do
		n=$((n + 1))
		# shellcheck disable=SC2086
		run snap $c --debug
		[ "$RC" = 0 ] || fail "'$c' exited $RC"
		grep -q '^lifeboat-snap: ' "$WORK/err" && [ $n = 1 ] && fail "no debug output"
		leaks "stdout of '$c'" "$WORK/out" && return 1
		leaks "stderr of '$c'" "$WORK/err" && return 1
	done
	# the debug log says something: the test would be empty otherwise
	grep -q 'POST .*/auth/tokens' "$WORK/err" "$dir/create.err" || fail "no request logged"
	local files
	mapfile -t files < <(find "$dir" "$HOME" -path "$HOME/.config/openstack" -prune -o \
		-type f -print)
	[ ${#files[@]} -ge 6 ] || fail "only ${#files[@]} files written"
	leaks "a file written" "${files[@]}" && return 1
	mapfile -t files < <(find "$WORK/children" -type f)
	[ ${#files[@]} -ge 2 ] || fail "qemu-img was not run"
	leaks "a child's command line or environment" "${files[@]}" && return 1
	return 0
}

t_password_never_shown() {
	every_command pw
}

t_application_credential_secret_never_shown() {
	unset OS_USERNAME OS_PASSWORD OS_PROJECT_NAME
	export OS_AUTH_TYPE=v3applicationcredential OS_APPLICATION_CREDENTIAL_ID=ac-demo
	export OS_APPLICATION_CREDENTIAL_SECRET=$ACS
	every_command ac
}

t_token_never_shown() {
	unset OS_USERNAME OS_PASSWORD
	export OS_AUTH_TYPE=v3token OS_TOKEN=$TOK
	every_command tok
}

t_password_from_secure_yaml_never_shown() {
	unset OS_AUTH_URL OS_USERNAME OS_PASSWORD OS_PROJECT_NAME
	unset OS_USER_DOMAIN_NAME OS_PROJECT_DOMAIN_NAME
	mkdir -p "$HOME/.config/openstack"
	{ echo clouds:; cloud_entry test; } >"$HOME/.config/openstack/clouds.yaml"
	printf 'clouds:\n  test:\n    auth:\n      password: %s\n' "$PW" \
		>"$HOME/.config/openstack/secure.yaml"
	chmod 600 "$HOME/.config/openstack/secure.yaml"
	export OS_CLOUD=test
	every_command yaml
}

# the password systemd hands over with LoadCredential=os_password:...
t_password_from_a_systemd_credential_never_shown() {
	unset OS_PASSWORD
	mkdir -p "$WORK/creds"
	printf '%s\n' "$PW" >"$WORK/creds/os_password"
	chmod 400 "$WORK/creds/os_password"
	export CREDENTIALS_DIRECTORY=$WORK/creds
	every_command cred
}

# A run killed after it authenticated (here in the middle of a download)
# must leave no core dump that holds a secret: the process is not dumpable.
t_no_secret_in_a_core_dump() {
	local dir=$WORK/core
	rm -rf "$dir" && mkdir -p "$dir" && cd "$dir"
	add_server "{\"name\": \"vm-core\", \"disk\": \"$WORK/disk.img\"}"
	local img
	img=$(snap create vm-core) || fail "create failed"
	faults '[{"path": "/file$", "action": "slow", "bps": 20000, "times": 1}]'
	(ulimit -c unlimited; exec "$LIFEBOAT_BIN/lifeboat-snap" download "$img" "$dir/f.qcow2" \
		--debug >/dev/null 2>"$dir/err") &
	local pid=$! i
	for i in $(seq 100); do
		[ -s "$dir/f.qcow2.part" ] && break
		sleep 0.1
	done
	[ -s "$dir/f.qcow2.part" ] || { kill "$pid"; fail "the download did not start"; }
	grep -q "POST .*/auth/tokens" "$dir/err" || fail "not authenticated yet"
	kill -SEGV "$pid"
	{ wait "$pid"; } 2>/dev/null && fail "lifeboat-snap was not killed"
	local cores
	mapfile -t cores < <(find "$dir" -maxdepth 1 -name 'core*' -type f)
	[ ${#cores[@]} = 0 ] && return 0
	leaks "a core dump" "${cores[@]}" && return 1
	return 0
}

# The test of the test: the same core dump with a process that is
# dumpable holds the password, so the check above can fail.
t_core_dump_check_can_fail() {
	local dir=$WORK/core2
	rm -rf "$dir" && mkdir -p "$dir" && cd "$dir"
	(ulimit -c unlimited; exec python3 -c 'import os, signal, sys
secret = sys.argv[1] * 2
os.kill(os.getpid(), signal.SIGSEGV)' "$PW") 2>/dev/null &
	{ wait $!; } 2>/dev/null && fail "python was not killed"
	local cores
	mapfile -t cores < <(find "$dir" -maxdepth 1 -name 'core*' -type f)
	[ ${#cores[@]} -ge 1 ] || { echo "    (no core dumps on this machine: skipped)"; return 0; }
	leaks "a core dump" "${cores[@]}" >/dev/null || fail "a dumpable process's core lacks the secret"
}

# lifeboat-extract needs no credentials, but an openrc may have exported
# them: qemu, run by the appliance, must not inherit them (one launch).
t_extract_children_get_no_cloud_secrets() {
	local dir=$WORK/x
	rm -rf "$dir" && mkdir -p "$dir/children" && cd "$dir"
	cat >"$dir/qemu" <<-WRAP
	#!/bin/sh
	cat /proc/\$\$/cmdline >"$dir/children/\$\$.cmdline"
	cat /proc/\$\$/environ >"$dir/children/\$\$.environ"
	exec $(command -v qemu-system-x86_64) "\$@"
	WRAP
	chmod +x "$dir/qemu"
	OS_PASSWORD=$PW OS_APPLICATION_CREDENTIAL_SECRET=$ACS OS_TOKEN=$TOK \
	LIBGUESTFS_BACKEND_SETTINGS=force_tcg LIBGUESTFS_HV=$dir/qemu \
		run flock /tmp/lifeboat-appliance.lock \
		"$LIFEBOAT_BIN/lifeboat-extract" --reader=appliance ls "$WORK/disk.img" /etc
	expect_rc 0
	expect_out hostname
	local files
	mapfile -t files < <(find "$dir/children" -type f)
	[ ${#files[@]} -ge 2 ] || fail "the appliance did not run our qemu"
	leaks "qemu's command line or environment" "${files[@]}" && return 1
	leaks "the output" "$WORK/out" "$WORK/err" && return 1
	return 0
}
