#!/usr/bin/env bash
# demo.sh - the rescue story against real OpenStack (Keystone, Glance, Nova
# from Debian's packages, on loopback), for a newcomer to watch: a server
# whose disk holds chat icons is saved, downloaded, verified, its data
# copied out and checked, then the server is retired.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
: "${LIFEBOAT_BIN:=$TOP/build/release}"
WORK=$(mktemp -d /tmp/lifeboat-os-demo.XXXXXX)
for v in $(env | sed -n 's/^\(OS_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
trap '"$TOP/tests/openstack/stop.sh" "$WORK/stack"; rm -rf "$WORK"' EXIT
echo "demo: starting Keystone, Glance, Placement, Nova and RabbitMQ (about a minute)"
"$TOP/tests/openstack/start.sh" "$WORK/stack"
osctl() { /usr/bin/python3 "$TOP/tests/openstack/osctl.py" "$@"; }
# The cloud's own set-up, as its operator would have done it.
set -a; . "$WORK/stack/env"; set +a
export OS_PASSWORD=demo-secret
osctl --admin admin-secret flavor
head -c 1M /dev/zero >"$WORK/base.raw"
osctl --admin admin-secret base-image "$WORK/base.raw" >/dev/null
"$TOP/tests/images/gpt-os.sh" "$WORK/chat-disk.qcow2"
osctl boot chat-01 "$WORK/chat-disk.qcow2" >/dev/null
# From here on, as a user would: clouds.yaml, the password in secure.yaml.
for v in $(env | sed -n 's/^\(OS_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
export OS_CLIENT_CONFIG_FILE=$WORK/stack/clouds.yaml OS_CLOUD=local
export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
snap=$LIFEBOAT_BIN/lifeboat-snap extract=$LIFEBOAT_BIN/lifeboat-extract
step "$snap" auth
step "$snap" servers
step "$snap" create chat-01 --stop --start-after --reason "before the kernel fix" \
	--download "$WORK/chat.qcow2"
step "$snap" list chat-01
step "$snap" verify "$WORK/chat.qcow2"
step "$extract" copy "$WORK/chat.qcow2" /var/lib/chat "$WORK/restore" --manifest "$WORK/restore.manifest"
step "$extract" verify "$WORK/restore" "$WORK/restore.manifest"
step diff -r "$WORK/chat-disk.qcow2.var/lib/chat" "$WORK/restore/chat"
step "$snap" retire chat-01 --download "$WORK/chat-final.qcow2" --stop --yes
step "$snap" servers
echo
echo "demo: done; the rescued data matched the server's disk"
