#!/bin/sh
# install.sh - Debian's OpenStack libraries (not the service packages, which
# bring dbconfig and systemd set-up), uwsgi and RabbitMQ, when missing.
# Exit 0 when all are there, 77 when they cannot be had.
set -eu
pkgs="python3-keystone python3-glance python3-nova python3-placement uwsgi-core
uwsgi-plugin-python3 rabbitmq-server"
need=""
for p in $pkgs; do
	dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
[ -z "$need" ] && exit 0
echo "openstack: installing$need"
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends $need; }; then
	echo "openstack: cannot install$need" >&2
	exit 77
fi
