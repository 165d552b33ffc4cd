#!/bin/sh
# certs.sh DIR - a throwaway CA and a server certificate for 127.0.0.1 and
# localhost, plus an unrelated CA that must never be trusted for them.
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"
[ -f server.crt ] && exit 0
ossl() { openssl "$@" 2>/dev/null; }
ossl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 \
	-subj "/CN=lifeboat test CA"
ossl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.crt -days 2 \
	-subj "/CN=some other CA"
ossl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
	-subj "/CN=127.0.0.1"
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > san.ext
ossl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
	-out server.crt -days 2 -extfile san.ext
