# t_close_always.sh - a server that closes the connection after every
# response (uwsgi's --http-socket does) must not trip the client up

setup_file() {
	cloud_start --tls --close-always
	add_server '{"name": "only"}'
}

t_each_request_on_a_fresh_connection() {
	run snap servers --json
	expect_rc 0
	expect_eq "$(json_get 'd["servers"][0]["name"]')" only
	run snap auth
	expect_rc 0
}
