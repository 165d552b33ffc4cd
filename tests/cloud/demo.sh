#!/usr/bin/env bash
# demo.sh - the main job against a local test cloud, for a newcomer to watch
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
: "${LIFEBOAT_BIN:=$TOP/build/release}"
WORK=$(mktemp -d /tmp/lifeboat-demo.XXXXXX)
CERTS=$WORK/certs
export TOP WORK CERTS LIFEBOAT_BIN
for v in $(env | sed -n 's/^\(OS_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
"$TOP/tests/cloud/certs.sh" "$CERTS"
source "$TOP/tests/integration/lib.sh"
trap 'cloud_stop; rm -rf "$WORK"' EXIT
cloud_start --tls
"$TOP/tests/cloud/make-disk.sh" "$WORK/chat.qcow2"
ctl config '{"save_delay": 2}' >/dev/null
add_server "{\"name\": \"vm-1a2b3c4d\", \"metadata\": {\"instance_name_tag\": \"chat\"},
             \"volume_backed\": true, \"size_gb\": 30, \"disk\": \"$WORK/chat.qcow2\"}"
add_server "{\"name\": \"db\", \"status\": \"SHUTOFF\", \"disk\": \"$WORK/chat.qcow2\"}"

# Configure it the way a user would: clouds.yaml, the password in secure.yaml.
export OS_CLIENT_CONFIG_FILE=$WORK/clouds.yaml
unset OS_AUTH_URL OS_USERNAME OS_PASSWORD OS_PROJECT_NAME OS_USER_DOMAIN_NAME \
	OS_PROJECT_DOMAIN_NAME OS_CACERT
{ echo clouds:; cloud_entry demo; } >"$WORK/clouds.yaml"
printf 'clouds:\n  demo:\n    auth:\n      password: demo-secret\n' >"$WORK/secure.yaml"
chmod 600 "$WORK/secure.yaml"
export OS_CLOUD=demo

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
step "$LIFEBOAT_BIN/lifeboat-snap" auth
step "$LIFEBOAT_BIN/lifeboat-snap" servers
step "$LIFEBOAT_BIN/lifeboat-snap" create chat --stop --start-after --reason "before the kernel fix"
step "$LIFEBOAT_BIN/lifeboat-snap" list
id=$("$LIFEBOAT_BIN/lifeboat-snap" list chat --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["images"][0]["id"])')
step "$LIFEBOAT_BIN/lifeboat-snap" download "$id" "$WORK/chat.qcow2.backup"
step "$LIFEBOAT_BIN/lifeboat-snap" verify "$WORK/chat.qcow2.backup" "$id"
# The rescue: the chat server's data, out of the downloaded snapshot.
# (force_tcg: the demo must also run where KVM is broken; it is slower.)
export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
step "$LIFEBOAT_BIN/lifeboat-extract" filesystems "$WORK/chat.qcow2.backup"
step "$LIFEBOAT_BIN/lifeboat-extract" copy "$WORK/chat.qcow2.backup" /var/lib/chat \
	"$WORK/restore" --manifest "$WORK/restore.manifest"
step "$LIFEBOAT_BIN/lifeboat-extract" verify "$WORK/restore" "$WORK/restore.manifest"
step ls "$WORK/restore/chat"
step "$LIFEBOAT_BIN/lifeboat-snap" guard chat --max-age 1h --file "$WORK/chat.qcow2.backup"
step "$LIFEBOAT_BIN/lifeboat-snap" retire db --download "$WORK/db.qcow2" --yes
step /usr/bin/python3 -m json.tool "$WORK/db.qcow2.retire.json"
# Before deleting anything: what on that disk is in no backup yet?
printf '/var/lib/chat   # rescued above\n' >"$WORK/backed-up.list"
step "$LIFEBOAT_BIN/lifeboat-extract" inventory "$WORK/chat.qcow2.backup" \
	--backed-up "$WORK/backed-up.list"
echo
echo "demo: done (test cloud at $CLOUD_URL)"
