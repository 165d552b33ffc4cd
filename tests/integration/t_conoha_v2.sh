# t_conoha_v2.sh - ConoHa legacy regions: identity v2.0, tenant in the
# compute URL, openrc-style OS_TENANT_* variables, plain HTTP

setup_file() {
	cloud_start --mode conoha-v2
	unset OS_PROJECT_NAME OS_USER_DOMAIN_NAME OS_PROJECT_DOMAIN_NAME
	export OS_AUTH_URL=$CLOUD_URL/identity/v2.0 OS_USERNAME=conoha OS_PASSWORD=conoha-secret
	export OS_TENANT_NAME=conoha
	add_server '{"id": "22222222-0000-4000-8000-000000000000", "name": "legacy"}'
}

t_v2_auth() {
	run snap auth --json
	expect_rc 0
	expect_eq "$(json_get 'd["identity_api_version"]')" 2.0
	expect_eq "$(json_get 'd["project"]["id"]')" p-conoha
	expect_eq "$(json_get 'd["endpoints"]["compute"]')" "$CLOUD_URL/compute/v2/p-conoha"
}

t_v2_servers_through_tenant_url() {
	ctl reset-requests >/dev/null
	run snap servers
	expect_rc 0
	expect_out '^22222222-0000-4000-8000-000000000000 +legacy'
	expect_eq "$(count_requests GET '^/compute/v2/p-conoha/servers/detail$')" 1
}

t_v2_by_tenant_id_and_version_option() {
	unset OS_TENANT_NAME
	OS_TENANT_ID=p-conoha OS_AUTH_URL=$CLOUD_URL/identity run snap auth --os-identity-api-version 2.0
	expect_rc 0
	expect_out 'project: +conoha \(p-conoha\)'
}

t_v2_wrong_password() {
	OS_PASSWORD=wrong run snap auth
	expect_rc 4
	expect_err 'Invalid user / password'
}

t_clouds_yaml_with_secure_yaml() {
	unset OS_AUTH_URL OS_USERNAME OS_PASSWORD OS_TENANT_NAME
	mkdir -p "$HOME/.config/openstack"
	cat >"$HOME/.config/openstack/clouds.yaml" <<YAML
clouds:
  tyo1:
    auth:
      auth_url: $CLOUD_URL/identity/v2.0
      username: conoha
      tenant_name: conoha
    region_name: RegionOne
    allow_http: true
YAML
	printf 'clouds:\n  tyo1:\n    auth:\n      password: conoha-secret\n' \
		>"$HOME/.config/openstack/secure.yaml"
	chmod 600 "$HOME/.config/openstack/secure.yaml"
	run snap --os-cloud tyo1 servers
	expect_rc 0
	expect_out legacy
	expect_not warning
	OS_CLOUD=tyo1 run snap auth
	expect_rc 0
	chmod 644 "$HOME/.config/openstack/secure.yaml"
	OS_CLOUD=tyo1 run snap auth
	expect_rc 0
	expect_err "warning: '.*secure.yaml' holds secrets and is readable by others"
	OS_CLOUD=nope run snap auth
	expect_rc 3
	expect_err "cloud 'nope' not found"
	rm -rf "$HOME/.config/openstack"
}

t_plain_http_is_named_on_every_run() {
	run snap servers
	expect_rc 0
	expect_err "warning: the identity endpoint http://127.0.0.1:[0-9]+/identity/v2.0 is plain HTTP: anyone on the path can read your password and token"
	expect_err "warning: the compute endpoint http://127.0.0.1:[0-9]+/compute/v2/p-conoha is plain HTTP: anyone on the path can read your token"
	run snap servers
	expect_err "identity endpoint .* is plain HTTP"
	run snap servers --allow-http
	expect_rc 0
	expect_not 'plain HTTP'
	OS_ALLOW_HTTP=true run snap servers
	expect_not 'plain HTTP'
}
