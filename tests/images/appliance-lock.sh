# appliance-lock.sh - sourced: with_appliance_lock CMD... runs CMD under the machine-wide
# appliance lock (one libguestfs appliance at a time), unless an ancestor such as
# `flock /tmp/lifeboat-appliance.lock make integration` holds it already: taking it again
# would wait for ourselves forever.
with_appliance_lock() {
	local lock=/tmp/lifeboat-appliance.lock ino holder p
	if ino=$(stat -c %i "$lock" 2>/dev/null); then
		for holder in $(awk -v ino="$ino" '$2 == "FLOCK" { n = split($6, a, ":"); if (a[n] == ino) print $5 }' /proc/locks); do
			p=$BASHPID
			while [ "${p:-0}" -gt 1 ]; do
				if [ "$p" = "$holder" ]; then "$@"; return; fi
				p=$(awk '/^PPid:/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)
			done
		done
	fi
	flock "$lock" "$@"
}
