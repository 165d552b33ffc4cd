# t_systemd.sh - the shipped units are valid systemd units

t_units_verify() {
	if ! command -v systemd-analyze >/dev/null; then
		echo "    (systemd-analyze not installed: nothing to check)"
		return 0
	fi
	local dir=$WORK/units
	mkdir -p "$dir" "$WORK/etc"
	# verify needs the binary the unit names to exist; point it at ours
	sed "s|/usr/local/bin/lifeboat-snap|$LIFEBOAT_BIN/lifeboat-snap|; s|/etc/lifeboat/snap.env|$WORK/etc/snap.env|" \
		"$TOP/contrib/systemd/lifeboat-snap@.service" >"$dir/lifeboat-snap@.service"
	cp "$TOP/contrib/systemd/lifeboat-snap@.timer" "$dir/"
	cp "$TOP/contrib/systemd/snap.env.example" "$WORK/etc/snap.env"
	run systemd-analyze verify --man=no "$dir/lifeboat-snap@chat.service" "$dir/lifeboat-snap@chat.timer"
	expect_rc 0
	expect_not 'lifeboat-snap@'
	grep -q '^Persistent=true$' "$dir/lifeboat-snap@.timer" || fail "timer not persistent"
	grep -q '^Type=oneshot$' "$dir/lifeboat-snap@.service" || fail "service not a oneshot"
}
