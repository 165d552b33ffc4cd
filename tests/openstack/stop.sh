#!/bin/sh
# stop.sh STATE_DIR - stop exactly the processes start.sh recorded.
set -eu
exec /usr/bin/python3 "$(dirname "$0")/stack.py" stop "$1"
