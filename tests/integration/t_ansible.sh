# t_ansible.sh - contrib/ansible's lifeboat role, with Debian's ansible,
# against localhost (connection: local) and the TLS test cloud: it installs
# lifeboat (make install), lays down the credentials (0600 root) and the
# timers in a root of its own (systemd is not PID 1 here: nothing is
# started, the enablement links are checked), and a second run changes
# nothing; the guard step fails the play without a fresh image

setup_file() {
	command -v ansible-playbook >/dev/null || { echo "    ansible missing: run make deps"; return 1; }
	cloud_start --tls
	"$TOP/tests/cloud/make-disk.sh" "$WORK/disk.img"
	ctl config '{"save_delay": 0.1, "transition_s": 0.05}' >/dev/null
	local s
	for s in chat db web; do
		add_server "{\"name\": \"$s\", \"disk\": \"$WORK/disk.img\"}"
	done
	export ANSIBLE_ROLES_PATH=$TOP/contrib/ansible/roles ANSIBLE_NOCOLOR=1
	export ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3
	export ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_INVENTORY_UNPARSED_WARNING=0
	export ANSIBLE_LOCAL_TEMP=$WORK/ansible-tmp ANSIBLE_REMOTE_TEMP=$WORK/ansible-tmp
	ROOT=$WORK/root
	# the build the tests run is the one the role installs
	local build=${LIFEBOAT_BIN#"$TOP"/} san=0
	case $build in *asan*) san=1 ;; esac
	cat >"$WORK/vars.yml" <<-YAML
	lifeboat_install: make
	lifeboat_source_dir: $TOP
	lifeboat_make_args: "BUILD=$build SAN=$san"
	lifeboat_root: $ROOT
	lifeboat_systemd_start: false
	lifeboat_cloud: test
	lifeboat_clouds:
	$(cloud_entry test)
	lifeboat_password: $OS_PASSWORD
	lifeboat_servers: [chat, web]
	lifeboat_keep: 3
	lifeboat_snap_options: "--timeout 60s"
	lifeboat_metrics_dir: $ROOT/metrics
	YAML
	cat >"$WORK/site.yml" <<-'YAML'
	- hosts: localhost
	  connection: local
	  gather_facts: false
	  roles:
	    - lifeboat
	YAML
	cat >"$WORK/guard.yml" <<-'YAML'
	- hosts: localhost
	  connection: local
	  gather_facts: false
	  tasks:
	    - ansible.builtin.include_role:
	        name: lifeboat
	        tasks_from: guard
	      vars:
	        lifeboat_guard_server: "{{ server }}"
	        lifeboat_guard_max_age: 1h
	        lifeboat_guard_create: "{{ create | default(false) | bool }}"
	YAML
	# nothing of the tests' own settings reaches the role: it must do with
	# what it laid down
	unset OS_AUTH_URL OS_USERNAME OS_PASSWORD OS_PROJECT_NAME OS_CACERT
	unset OS_USER_DOMAIN_NAME OS_PROJECT_DOMAIN_NAME
}

# play PLAYBOOK [ARGS...] - run it; RC, OUT; CHANGED and FAILED from the recap
play() {
	# the role's make is not the test run's (make check's jobserver and
	# command-line variables stay out of it)
	run env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		ansible-playbook -i localhost, -e @"$WORK/vars.yml" "$@"
	local recap
	recap=$(grep -E '^localhost +: ' "$WORK/out" | tail -1)
	CHANGED=$(sed -n 's/.* changed=\([0-9]*\).*/\1/p' <<<"$recap")
	FAILED=$(sed -n 's/.* failed=\([0-9]*\).*/\1/p' <<<"$recap")
	[ -n "$CHANGED" ] || fail "no PLAY RECAP"
	echo "    $(basename "$1") ${*:2}: changed=$CHANGED failed=$FAILED rc=$RC"
	if grep -qF 'demo-secret' "$WORK/out" "$WORK/err"; then
		fail "the password is in ansible's output"
	fi
	return 0
}

mode_of() { stat -c '%a %U:%G' "$1"; }

t_1_role_applied_twice_changes_nothing_the_second_time() {
	play "$WORK/site.yml"
	expect_rc 0
	[ "$CHANGED" -gt 0 ] || fail "the first run changed nothing"
	play "$WORK/site.yml"
	expect_rc 0
	expect_eq "$CHANGED" 0
	expect_eq "$FAILED" 0
}

t_2_files_it_laid_down() {
	[ -x "$ROOT/usr/local/bin/lifeboat-snap" ] || fail "lifeboat-snap not installed"
	run "$ROOT/usr/local/bin/lifeboat-snap" --version
	expect_rc 0
	cmp -s "$ROOT/usr/local/bin/lifeboat-snap" "$LIFEBOAT_BIN/lifeboat-snap" || fail "another lifeboat-snap"
	[ -f "$ROOT/usr/local/share/man/man1/lifeboat-snap.1" ] || fail "no man page"
	local unit=$ROOT/usr/local/lib/systemd/system/lifeboat-snap@.service
	grep -q '^ExecStart=/usr/local/bin/lifeboat-snap create %i ' "$unit" || fail "no unit"
	expect_eq "$(mode_of "$ROOT/etc/lifeboat/credentials")" "700 root:root"
	expect_eq "$(mode_of "$ROOT/etc/lifeboat/credentials/clouds.yaml")" "600 root:root"
	expect_eq "$(mode_of "$ROOT/etc/lifeboat/credentials/os_password")" "600 root:root"
	expect_eq "$(cat "$ROOT/etc/lifeboat/credentials/os_password")" demo-secret
	grep -q "auth_url: $CLOUD_URL/identity/v3" "$ROOT/etc/lifeboat/credentials/clouds.yaml" ||
		fail "clouds.yaml lacks the cloud"
	grep -q 'password' "$ROOT/etc/lifeboat/credentials/clouds.yaml" && fail "a password in clouds.yaml"
	expect_eq "$(mode_of "$ROOT/etc/lifeboat/snap.env")" "644 root:root"
	grep -q 'demo-secret' "$ROOT/etc/lifeboat/snap.env" && fail "the password in snap.env"
	grep -q '^OS_CLOUD=test$' "$ROOT/etc/lifeboat/snap.env" || fail "snap.env lacks OS_CLOUD"
	# enabled as systemctl would say, for each server asked for
	local s
	for s in chat web; do
		run systemctl --root="$ROOT" is-enabled "lifeboat-snap@$s.timer"
		expect_out '^enabled$'
	done
	run systemctl --root="$ROOT" is-enabled lifeboat-snap@db.timer
	expect_not '^enabled$'
	return 0
}

# the unit the role laid down, run as systemd would, with its credentials
t_3_deployed_timer_service_saves_chat() {
	mkdir -p "$ROOT/metrics" "$ROOT/home"
	run /usr/bin/python3 "$TOP/tests/integration/unit_run.py" \
		"$ROOT/usr/local/lib/systemd/system/lifeboat-snap@.service" chat \
		--root "$ROOT" --bin-dir "$ROOT/usr/local/bin" --creds "$WORK/creds-run" \
		--set HOME="$ROOT/home"
	expect_rc 0
	run promtool check metrics <"$ROOT/metrics/lifeboat-chat.prom"
	expect_rc 0
}

t_4_guard_fails_the_play_without_a_fresh_image() {
	play "$WORK/guard.yml" -e server=db
	[ "$RC" != 0 ] || fail "the play went on"
	expect_eq "$FAILED" 1
	grep -q 'NOT SAFE' "$WORK/out" || fail "the reason is not shown"
}

t_5_guard_passes_unchanged_with_a_fresh_image() {
	# chat was saved by t_3 (the unit's own run)
	play "$WORK/guard.yml" -e server=chat
	expect_rc 0
	expect_eq "$CHANGED" 0
}

t_6_guard_create_makes_one_then_is_unchanged() {
	play "$WORK/guard.yml" -e server=web -e create=true
	expect_rc 0
	expect_eq "$CHANGED" 1
	play "$WORK/guard.yml" -e server=web -e create=true
	expect_rc 0
	expect_eq "$CHANGED" 0
	# and web has exactly one image, which guard now finds fresh
	OS_CLOUD=test OS_CLIENT_CONFIG_FILE=$ROOT/etc/lifeboat/credentials/clouds.yaml \
		CREDENTIALS_DIRECTORY=$ROOT/etc/lifeboat/credentials run snap list web --json
	expect_rc 0
	expect_eq "$(json_get 'len(d["images"])')" 1
}

# the examples README points at are valid playbooks for this role
t_7_examples_pass_a_syntax_check() {
	run ansible-playbook -i localhost, --syntax-check "$TOP/contrib/ansible/site.yml" \
		"$TOP/contrib/ansible/runbook-retire.yml"
	expect_rc 0
}
