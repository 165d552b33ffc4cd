# t_auth.sh - identity v3 over real TLS: password, application credential,
# token; wrong password, wrong CA, unreachable endpoint; catalog choice

setup_file() { cloud_start --tls; }

t_v3_password() {
	run snap auth
	expect_rc 0
	expect_out '^user: +demo \(u-demo\)'
	expect_out '^project: +demo \(p-demo\)'
	expect_out "^compute: +$CLOUD_URL/compute/v2.1\$"
	expect_out "^image: +$CLOUD_URL/image\$"
	expect_out "^block-storage: +$CLOUD_URL/volume/v3/p-demo\$"
	expect_not 'tok-'
}

t_v3_json_is_one_document() {
	run snap auth --json
	expect_rc 0
	expect_eq "$(json_get 'd["project"]["id"]')" p-demo
	expect_eq "$(json_get 'd["identity_api_version"]')" 3
	expect_eq "$(json_get '"token" in d')" False
}

t_options_after_or_before_command() {
	run snap --json auth
	expect_rc 0
	expect_eq "$(json_get 'd["user"]["name"]')" demo
}

t_show_token_only_when_asked() {
	run snap auth --show-token
	expect_rc 0
	expect_out '^token: +tok-[0-9a-f]{32}$'
}

t_user_and_project_by_id() {
	unset OS_USERNAME OS_PROJECT_NAME
	OS_USER_ID=u-demo OS_PROJECT_ID=p-demo run snap auth
	expect_rc 0
	expect_out 'project: +demo \(p-demo\)'
}

t_application_credential() {
	unset OS_USERNAME OS_PASSWORD OS_PROJECT_NAME
	OS_AUTH_TYPE=v3applicationcredential OS_APPLICATION_CREDENTIAL_ID=ac-demo \
	OS_APPLICATION_CREDENTIAL_SECRET=ac-secret run snap auth --json
	expect_rc 0
	expect_eq "$(json_get 'd["project"]["id"]')" p-demo
}

t_application_credential_wrong_secret() {
	unset OS_USERNAME OS_PASSWORD OS_PROJECT_NAME
	OS_APPLICATION_CREDENTIAL_ID=ac-demo OS_APPLICATION_CREDENTIAL_SECRET=nope run snap auth
	expect_rc 4
	expect_err 'application credential were rejected'
	expect_not 'nope'
}

t_wrong_password_is_exit_4_and_not_echoed() {
	OS_PASSWORD=hunter2-wrong run snap auth --debug
	expect_rc 4
	expect_err 'authentication failed: the user and password were rejected'
	expect_err 'HTTP 401'
	expect_not 'hunter2-wrong'
	expect_err '"password":"\*\*\*"'
}

t_debug_redacts_tokens() {
	run snap servers --debug
	expect_rc 0
	expect_err '> X-Auth-Token: \*\*\*'
	expect_err '< X-Subject-Token: \*\*\*'
	expect_not 'tok-[0-9a-f]{8}'
	expect_not 'demo-secret'
}

t_wrong_ca_fails_tls() {
	OS_CACERT=$CERTS/other-ca.crt run snap auth
	expect_rc 6
	expect_err 'SSL|certificate'
}

t_no_ca_given_fails_tls() {
	unset OS_CACERT
	run snap auth
	expect_rc 6
}

t_insecure_works_but_warns_loudly() {
	OS_CACERT=$CERTS/other-ca.crt run snap auth --insecure
	expect_rc 0
	expect_err 'WARNING: TLS certificate verification is OFF'
}

t_unreachable_endpoint() {
	# A port nothing listens on: bind, note it, close.
	local port
	port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	OS_AUTH_URL=https://127.0.0.1:$port/v3 run snap auth
	expect_rc 5
	expect_err "127.0.0.1:$port"
}

t_missing_password_without_tty_names_the_variables() {
	unset OS_PASSWORD
	run snap auth </dev/null
	expect_rc 3
	expect_err 'OS_PASSWORD'
}

t_password_option_refused() {
	run snap --os-password secret auth
	expect_rc 2
	expect_err 'never taken on the command line'
}

t_region_ambiguous_then_chosen() {
	ctl config '{"regions": ["RegionOne", "RegionTwo"]}' >/dev/null
	run snap servers
	ctl config '{"regions": ["RegionOne"]}' >/dev/null
	expect_rc 8
	expect_err "several regions \('RegionOne', 'RegionTwo'\)"
	ctl config '{"regions": ["RegionOne", "RegionTwo"]}' >/dev/null
	run snap auth --os-region-name RegionTwo
	ctl config '{"regions": ["RegionOne"]}' >/dev/null
	expect_rc 0
	expect_out "^compute: +$CLOUD_URL/r/RegionTwo/compute/v2.1\$"
}

t_region_unknown() {
	run snap servers --os-region-name Mars
	expect_rc 3
	expect_err "region 'Mars' is not in the catalog of .*; its regions: 'RegionOne'; choose one with --os-region-name"
}

t_internal_interface() {
	OS_INTERFACE=internal run snap auth
	expect_rc 0
	expect_out "^compute: +$CLOUD_URL/internal/compute/v2.1\$"
}

t_endpoint_override() {
	run snap auth --os-compute-url "$CLOUD_URL/compute/v2.1/"
	expect_rc 0
	expect_out "^compute: +$CLOUD_URL/compute/v2.1\$"
}

t_password_prompt_on_a_terminal_without_echo() {
	unset OS_PASSWORD
	run /usr/bin/python3 "$TOP/tests/integration/pty_run.py" demo-secret \
		"$LIFEBOAT_BIN/lifeboat-snap" auth
	expect_rc 0
	expect_out 'Password for demo at https://127.0.0.1:[0-9]+/identity/v3: '
	expect_out 'project: +demo'
	expect_not 'demo-secret'
}

t_wrong_password_at_the_prompt() {
	unset OS_PASSWORD
	run /usr/bin/python3 "$TOP/tests/integration/pty_run.py" not-it \
		"$LIFEBOAT_BIN/lifeboat-snap" auth
	expect_rc 4
	expect_not 'not-it'
}
