# t_interrupt.sh - retire killed at every request and mid-download, with
# every kind of meddling between runs; the test cloud checks at each
# DELETE that a verified copy of that server's own post-stop image exists

setup_file() {
	cloud_start --tls
	head -c 200000 /dev/urandom >"$WORK/disk.img"
}

t_retire_survives_every_interruption() {
	CLOUD_URL=$CLOUD_URL CERTS=$CERTS WORK=$WORK run /usr/bin/python3 "$TOP/tests/integration/interrupt.py"
	echo "    $(grep 'interruption matrix' <<<"$OUT")"
	expect_rc 0
	expect_out 'interruption matrix: [0-9]+ requests .* [1-9][0-9]* deletes checked, 0 violations'
}
