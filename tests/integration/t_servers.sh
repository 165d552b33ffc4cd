# t_servers.sh - listing servers over TLS: pagination, names, boot source,
# retries under 429/503 storms and dropped connections, token expiry

setup_file() {
	cloud_start --tls
	local i
	for i in $(seq 1 7); do
		add_server "{\"id\": \"0000000$i-0000-4000-8000-000000000000\", \"name\": \"web$i\"}"
	done
	add_server '{"id": "10000000-0000-4000-8000-000000000000", "name": "vm-12ab34cd",
	             "metadata": {"instance_name_tag": "chat"}, "volume_backed": true,
	             "status": "SHUTOFF", "flavor": "g2l-t-c2m1"}'
}

t_lists_all_with_name_tag_and_boot_source() {
	run snap servers
	expect_rc 0
	expect_eq "$(grep -c -- '-4000-8000-' <<<"$OUT")" 8
	expect_out '^10000000-0000-4000-8000-000000000000 +chat +SHUTOFF +g2l-t-c2m1 +volume$'
	expect_out '^00000001-0000-4000-8000-000000000000 +web1 +ACTIVE +g-1gb +image$'
}

t_json_array() {
	run snap servers --json
	expect_rc 0
	expect_eq "$(json_get 'len(d["servers"])')" 8
	expect_eq "$(json_get '[s for s in d["servers"] if s["display_name"]=="chat"][0]["name"]')" vm-12ab34cd
	expect_eq "$(json_get '[s for s in d["servers"] if s["display_name"]=="chat"][0]["boot_source"]')" volume
	expect_eq "$(json_get '[s for s in d["servers"] if s["name"]=="web3"][0]["image_id"]')" img-base
}

t_pagination_follows_marker() {
	ctl config '{"page_size": 3}' >/dev/null
	ctl reset-requests >/dev/null
	run snap servers --json
	ctl config '{"page_size": 1000}' >/dev/null
	expect_rc 0
	expect_eq "$(json_get 'len(d["servers"])')" 8
	expect_eq "$(json_get 'len(set(s["id"] for s in d["servers"]))')" 8
	expect_eq "$(count_requests GET '/servers/detail$')" 3
}

t_503_storm_is_retried_then_succeeds() {
	faults '[{"path": "/servers/detail", "status": 503, "times": 3}]'
	ctl reset-requests >/dev/null
	run snap servers --json
	no_faults
	expect_rc 0
	expect_eq "$(count_requests GET '/servers/detail$')" 4
}

t_503_storm_gives_up_bounded() {
	faults '[{"path": "/servers/detail", "status": 503, "times": 50}]'
	ctl reset-requests >/dev/null
	run snap servers
	no_faults
	expect_rc 9
	expect_err 'cannot list servers: HTTP 503: injected fault'
	expect_err 'request id req-'
	expect_eq "$(count_requests GET '/servers/detail$')" 5
}

t_429_honours_retry_after() {
	faults '[{"path": "/servers/detail", "status": 429, "retry_after": 1, "times": 2}]'
	local start=$SECONDS
	run snap servers --debug
	no_faults
	expect_rc 0
	expect_err 'retrying in 1000 ms'
	[ $((SECONDS - start)) -ge 2 ] || fail "did not wait for Retry-After"
}

t_429_retry_after_as_http_date() {
	faults '[{"path": "/servers/detail", "status": 429, "retry_after": 2, "retry_after_date": true, "times": 1}]'
	run snap servers --debug
	no_faults
	expect_rc 0
	expect_err 'retrying in [12][0-9]{3} ms'
}

t_500_is_not_retried() {
	faults '[{"path": "/servers/detail", "status": 500, "times": 5}]'
	ctl reset-requests >/dev/null
	run snap servers
	no_faults
	expect_rc 9
	expect_eq "$(count_requests GET '/servers/detail$')" 1
}

t_dropped_connection_is_retried() {
	faults '[{"path": "/servers/detail", "action": "drop", "times": 2}]'
	run snap servers --json
	no_faults
	expect_rc 0
	expect_eq "$(json_get 'len(d["servers"])')" 8
}

t_revoked_token_reauthenticates_once() {
	faults '[{"path": "/servers/detail", "action": "revoke", "times": 1}]'
	ctl reset-requests >/dev/null
	run snap servers --json --debug
	no_faults
	expect_rc 0
	expect_err 'HTTP 401: re-authenticating once'
	expect_eq "$(token_issues)" 2
}

t_token_always_rejected_fails_after_one_reauth() {
	faults '[{"path": "/servers/detail", "action": "revoke", "times": 10}]'
	ctl reset-requests >/dev/null
	run snap servers
	no_faults
	expect_rc 9
	expect_err 'HTTP 401'
	expect_eq "$(token_issues)" 2
}

t_token_near_expiry_is_renewed_before_use() {
	# The token says it expires in 2 minutes: within the 5-minute margin,
	# so each page request renews it first.
	ctl config '{"reported_ttl": 120, "page_size": 4}' >/dev/null
	ctl reset-requests >/dev/null
	run snap servers --json --debug
	ctl config '{"reported_ttl": null, "page_size": 1000}' >/dev/null
	expect_rc 0
	expect_err 'renewing'
	expect_eq "$(json_get 'len(d["servers"])')" 8
	[ "$(token_issues)" -ge 3 ] || fail "token renewed $(token_issues) times"
}

t_expired_token_mid_run() {
	# Tokens die after 1 s while the client believes them good for an
	# hour; a slow second page meets a dead token and must re-auth.
	ctl config '{"token_ttl": 1, "page_size": 4}' >/dev/null
	faults '[{"path": "/servers/detail", "status": 503, "retry_after": 2, "skip": 1, "times": 1}]'
	ctl reset-requests >/dev/null
	run snap servers --json --debug
	ctl config '{"token_ttl": 3600, "page_size": 1000}' >/dev/null
	no_faults
	expect_rc 0
	expect_err 're-authenticating once'
	expect_eq "$(json_get 'len(d["servers"])')" 8
}
