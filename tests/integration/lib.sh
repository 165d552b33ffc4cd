# lib.sh - helpers for the integration tests; sourced by run.sh

# Start the test cloud: cloud_start [--tls] [--mode M] [--close-always]
# Sets CLOUD_URL, CLOUD_PID; points OS_* at the demo user.
cloud_start() {
	local tls=0 args=()
	while [ $# -gt 0 ]; do
		case $1 in
		--tls) tls=1 ;;
		*) args+=("$1") ;;
		esac
		shift
	done
	local state ready
	state=$(mktemp -d "$WORK/cloud.XXXXXX")
	ready=$state/ready
	if [ $tls = 1 ]; then
		args+=(--cert "$CERTS/server.crt" --key "$CERTS/server.key")
	fi
	/usr/bin/python3 "$TOP/tests/cloud/cloud.py" --state-dir "$state" \
		--ready-file "$ready" "${args[@]}" 2>"$state/log" &
	CLOUD_PID=$!
	local i
	for i in $(seq 100); do
		[ -f "$ready" ] && break
		sleep 0.05
	done
	[ -f "$ready" ] || { echo "test cloud did not start:"; cat "$state/log"; return 1; }
	local scheme=http
	[ $tls = 1 ] && scheme=https
	CLOUD_URL=$scheme://127.0.0.1:$(cat "$ready")
	CLOUD_STATE=$state
	export OS_AUTH_URL=$CLOUD_URL/identity/v3
	export OS_USERNAME=demo OS_PASSWORD=demo-secret OS_PROJECT_NAME=demo
	export OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default
	export OS_CACERT=$CERTS/ca.crt
}

# from_cache KEY DEST BUILDER ARG...: DEST as BUILDER makes it, where
# the argument @OUT@ names its output. One run of run.sh builds each KEY
# once (under a lock: the lanes may ask at the same time) and every file
# gets its own copy, holes kept; a change to anything under tests/images
# builds anew; the cached copy keeps DEST's suffix (.qcow2, .raw), which
# a builder may go by, and what it writes beside DEST (DEST.var) comes too. Without run.sh's cache, BUILDER writes DEST itself.
from_cache() {
	local key=$1 dest=$2 base
	shift 2
	if [ -z "${IT_CACHE:-}" ]; then
		"${@//@OUT@/$dest}"
		return
	fi
	base=${dest##*/}
	key=$key-$(cat "$TOP"/tests/images/* 2>/dev/null | sha256sum | cut -c1-16)
	case $base in *.*) key=$key.${base##*.} ;; esac
	mkdir -p "$IT_CACHE"
	(
		flock 9
		if [ ! -e "$IT_CACHE/$key.done" ]; then
			rm -rf "${IT_CACHE:?}/$key"
			"${@//@OUT@/$IT_CACHE/$key}" || exit 1
			touch "$IT_CACHE/$key.done"
		fi
	) 9>"$IT_CACHE/$key.lock" || return 1
	# what the builder wrote beside its output (OUT.var, say) comes along
	local f
	for f in "$IT_CACHE/$key" "$IT_CACHE/$key".*; do
		case $f in *.lock | *.done) continue ;; esac
		[ -e "$f" ] || continue
		rm -rf "$dest${f#"$IT_CACHE/$key"}"
		cp -a --sparse=always "$f" "$dest${f#"$IT_CACHE/$key"}"
	done
}

# sanitizer_build - the programs under test are the sanitizer build
sanitizer_build() {
	ldd "$LIFEBOAT_BIN/lifeboat-extract" 2>/dev/null | grep -q 'libasan'
}

# cloud_entry NAME - the clouds.yaml entry of the test cloud's demo user
# (no password), as the "clouds:" map's member NAME, two spaces deep
cloud_entry() {
	cat <<-YAML
	  $1:
	    auth:
	      auth_url: $CLOUD_URL/identity/v3
	      username: demo
	      project_name: demo
	      user_domain_name: Default
	      project_domain_name: Default
	    cacert: $CERTS/ca.crt
	YAML
}

cloud_stop() {
	if [ -n "${CLOUD_PID:-}" ]; then
		kill "$CLOUD_PID" 2>/dev/null
		wait "$CLOUD_PID" 2>/dev/null || true
		CLOUD_PID=
	fi
}

# ctl PATH [JSON] - talk to the test cloud's control API
ctl() {
	curl -sS --cacert "$CERTS/ca.crt" -X POST -H 'Content-Type: application/json' \
		--data "${2:-{\}}" "$CLOUD_URL/_test/$1"
}

ctl_get() {
	curl -sS --cacert "$CERTS/ca.crt" "$CLOUD_URL/_test/$1"
}

faults() { ctl faults "{\"rules\": $1}" >/dev/null; }
no_faults() { ctl faults '{"rules": []}' >/dev/null; }

# How many recorded requests match METHOD and a path regex.
count_requests() {
	ctl_get requests | /usr/bin/python3 -c '
import json, re, sys
d = json.load(sys.stdin)
print(sum(1 for r in d["requests"] if r["method"] == sys.argv[1] and re.search(sys.argv[2], r["path"])))
' "$1" "$2"
}

token_issues() {
	ctl_get requests | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token_issues"])'
}

add_server() { ctl servers "$1" >/dev/null; }

snap() { "$LIFEBOAT_BIN/lifeboat-snap" "$@"; }

# run CMD... : captures OUT, ERR and RC without tripping set -e
run() {
	set +e
	"$@" >"$WORK/out" 2>"$WORK/err"
	RC=$?
	set -e
	OUT=$(cat "$WORK/out")
	ERR=$(cat "$WORK/err")
}

fail() {
	echo "    FAIL: $*"
	[ -n "${OUT:-}" ] && printf '    stdout: %s\n' "$OUT" | head -20
	[ -n "${ERR:-}" ] && printf '    stderr: %s\n' "$ERR" | head -20
	return 1
}

expect_rc() { [ "$RC" = "$1" ] || fail "exit code $RC, expected $1"; }
expect_out() { grep -qE -- "$1" <<<"$OUT" || fail "stdout lacks /$1/"; }
expect_err() { grep -qE -- "$1" <<<"$ERR" || fail "stderr lacks /$1/"; }
expect_not() { ! grep -qE -- "$1" <<<"$OUT$ERR" || fail "output has /$1/"; }
expect_eq() { [ "$1" = "$2" ] || fail "got '$1', expected '$2'"; }

# stop_fleet SIG PID WORKERS: SIG to the lifeboat-snap of several servers
# at PID (started in the background, stdout and stderr into $WORK/out and
# $WORK/err); it must end with 130 within a second, none of its WORKERS
# (pids) left. RC, OUT, ERR as run() sets them.
stop_fleet() {
	local sig=$1 pid=$2 workers=$3 t0 ms w
	t0=$(date +%s%N)
	kill -"$sig" "$pid"
	set +e
	wait "$pid"
	RC=$?
	set -e
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	echo "    SIG$sig: all ended in $ms ms"
	OUT=$(cat "$WORK/out")
	ERR=$(cat "$WORK/err")
	expect_rc 130 || return 1
	[ "$ms" -lt 1000 ] || fail "SIG$sig: took $ms ms" || return 1
	for w in $workers; do
		! kill -0 "$w" 2>/dev/null || fail "SIG$sig: worker $w still runs" || return 1
	done
}

# json_get EXPR - evaluate a Python expression on the JSON in $OUT as d
json_get() {
	/usr/bin/python3 -c "import json,sys; d=json.loads(sys.stdin.read()); print($1)" <<<"$OUT"
}

# flip_byte FILE OFFSET - change one byte for certain (random data may
# already hold any constant a test would write)
flip_byte() {
	/usr/bin/python3 -c '
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2])); b = f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0xff]))
' "$1" "$2"
}
