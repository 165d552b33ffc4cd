#!/bin/sh
# start.sh STATE_DIR - real Keystone, Glance, Nova (fake virt driver) and
# Placement from Debian's packages, on loopback; installs them when missing.
# Then: . STATE_DIR/env (OS_PASSWORD is the demo user's: see stack.py).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
"$here/install.sh"
exec /usr/bin/python3 "$here/stack.py" start "$1"
