# t_tls.sh - TLS failures are refused, exit 6, with a message that names
# the problem: expired certificate, wrong host name, self-signed without
# --os-cacert, a server that speaks only TLS 1.0. The servers are
# openssl s_server on 127.0.0.1 with certificates made here.

setup_file() {
	TLS=$WORK/tls
	mkdir -p "$TLS/newcerts" && cd "$TLS"
	: >index.txt
	echo 01 >serial
	cat >ca.cnf <<-CNF
	[ca]
	default_ca = here
	[here]
	dir = $TLS
	database = $TLS/index.txt
	new_certs_dir = $TLS/newcerts
	serial = $TLS/serial
	default_md = sha256
	policy = any
	copy_extensions = none
	unique_subject = no
	[any]
	commonName = supplied
	CNF
	ossl() { openssl "$@" >/dev/null 2>&1; }
	# name CN SAN [START END]: a key and a certificate signed by the tests' CA
	signed() {
		local dates=(-days 2)
		[ -z "${4:-}" ] || dates=(-startdate "$4" -enddate "$5")
		ossl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$2" &&
		printf 'subjectAltName=%s\n' "$3" >"$1.ext" &&
		ossl ca -batch -config ca.cnf -cert "$CERTS/ca.crt" -keyfile "$CERTS/ca.key" \
			-in "$1.csr" -out "$1.crt" -extfile "$1.ext" -notext "${dates[@]}"
	}
	signed good 127.0.0.1 IP:127.0.0.1,DNS:localhost &&
	signed expired 127.0.0.1 IP:127.0.0.1 20200101000000Z 20200201000000Z &&
	signed wrongname wrong.example DNS:wrong.example &&
	ossl req -x509 -newkey rsa:2048 -nodes -keyout self.key -out self.crt -days 2 \
		-subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" || return 1
	[ -s expired.crt ] && [ -s wrongname.crt ] && [ -s good.crt ]
	export OS_AUTH_URL=https://127.0.0.1:1/v3 OS_USERNAME=demo OS_PASSWORD=demo-secret
	export OS_PROJECT_NAME=demo OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default
	export OS_CACERT=$CERTS/ca.crt
}

SERVER_PID=
# serve NAME [s_server options]: a TLS server with NAME's certificate
serve() {
	local name=$1 port i
	shift
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	openssl s_server -quiet -www -accept "127.0.0.1:$port" -cert "$TLS/$name.crt" \
		-key "$TLS/$name.key" "$@" </dev/null >"$WORK/s_server.log" 2>&1 &
	SERVER_PID=$!
	for i in $(seq 100); do
		python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),1)' \
			"$port" 2>/dev/null && break
		sleep 0.05
	done
	export OS_AUTH_URL=https://127.0.0.1:$port/v3
}

stop_server() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	SERVER_PID=
}

refused() { # refused REGEX: exit 6, the problem named, nothing secret said
	stop_server
	expect_rc 6
	expect_err "$1"
	expect_not 'demo-secret'
}

# the test cloud behind NAME's certificate
cloud_with() {
	local state=$WORK/cloud-$1 i
	rm -rf "$state" && mkdir -p "$state"
	python3 "$TOP/tests/cloud/cloud.py" --state-dir "$state" --ready-file "$state/ready" \
		--cert "$TLS/$1.crt" --key "$TLS/$1.key" 2>"$state/log" &
	CLOUD_PID=$!
	for i in $(seq 100); do
		[ -f "$state/ready" ] && break
		sleep 0.05
	done
	export OS_AUTH_URL=https://127.0.0.1:$(cat "$state/ready")/identity/v3
}

# The tests of the tests: the same client, the same CA, the test cloud
# behind a good certificate (and a self-signed one, given as the CA):
# authentication succeeds, so the refusals below are TLS's doing.
t_good_certificate_is_accepted() {
	cloud_with good
	run snap auth
	cloud_stop
	expect_rc 0
}

t_self_signed_given_as_cacert_is_accepted() {
	cloud_with self
	OS_CACERT=$TLS/self.crt run snap auth
	cloud_stop
	expect_rc 0
}

t_expired_certificate() {
	serve expired
	run snap auth
	refused 'certificate has expired'
}

t_wrong_host_name() {
	serve wrongname
	run snap auth
	refused "subject name.*'127\\.0\\.0\\.1'|does not match|no alternative certificate subject name"
}

t_self_signed_without_cacert() {
	serve self
	unset OS_CACERT
	run snap auth
	refused 'self[- ]signed certificate'
}


t_tls_1_0_only() {
	serve good -tls1 -cipher 'DEFAULT:@SECLEVEL=0'
	run snap auth
	refused 'protocol version.*older than 1\.2'
}
