# t_extract_tmp.sh - the native reader over a qcow2 leaves nothing in /tmp
# (qemu-nbd's socket is unlinked before qemu-nbd starts) and no qemu-nbd
# behind it: after ls, after copy, and after a SIGKILL at any point. Each
# run sees a /tmp of its own (a private mount namespace, where unshare is
# allowed; else only TMPDIR is private, and the file says so). No
# appliance: every run is --reader=native.

setup_file() {
	X=$LIFEBOAT_BIN/lifeboat-extract
	mkdir -p "$WORK/ttree/d" || return 1
	echo "hello" >"$WORK/ttree/a.txt"
	head -c $((48 << 20)) /dev/urandom >"$WORK/ttree/d/large.bin" || return 1
	mke2fs -q -F -t ext4 -d "$WORK/ttree" "$WORK/t.raw" 96M >/dev/null 2>&1 || return 1
	qemu-img convert -O qcow2 "$WORK/t.raw" "$WORK/t.qcow2" || return 1
	PRIVATE_TMP=0
	if unshare -m --propagation private true 2>/dev/null; then
		PRIVATE_TMP=1
	else
		echo "    (unshare -m refused: only TMPDIR is private; /tmp itself is not counted)"
	fi
}

# the case's own /tmp, empty: T; KEEP: what of the real /tmp the case
# still needs there (its WORK, the tree and the programs under test, when
# they lie in /tmp), relative to /tmp
setup_each() {
	T=$WORK/tmp.$RANDOM$RANDOM
	rm -rf "$T" && mkdir -p "$T"
	KEEP=()
	local d
	for d in "$WORK" "$TOP" "$LIFEBOAT_BIN"; do
		case $d in "$TOP"/*) [ "$d" = "$WORK" ] || continue ;; esac
		case $d in /tmp/?*) KEEP+=("${d#/tmp/}"); mkdir -p "$T/${d#/tmp/}" ;; esac
	done
}

# tmp_exec CMD...: exec CMD with $T as its /tmp (and KEEP still where it
# was), or with TMPDIR=$T where no mount namespace can be had. In the
# background (`tmp_exec CMD &`) $! is CMD's pid; tmp CMD runs it in front.
tmp() { ( tmp_exec "$@" ); }
tmp_exec() {
	if [ "$PRIVATE_TMP" = 1 ]; then
		exec unshare -m --propagation private env -u TMPDIR sh -c '
			t=$1
			shift
			while [ "$1" != -- ]; do
				mount --bind "/tmp/$1" "$t/$1" || exit 99
				shift
			done
			shift
			mount --rbind "$t" /tmp || exit 99
			exec "$@"' sh "$T" "${KEEP[@]}" -- "$@"
	else
		TMPDIR=$T exec "$@"
	fi
}

tmp_is_empty() {
	local left prune=() k
	for k in "${KEEP[@]}"; do prune+=(-path "./${k%%/*}" -prune -o); done
	left=$(cd "$T" && find . -mindepth 1 "${prune[@]}" -print | head -5)
	[ -z "$left" ] || fail "left in /tmp: $left"
}

# children PID: the pids of PID's children, one a line
children() {
	local t
	for t in /proc/"$1"/task/*/children; do
		[ -r "$t" ] && tr ' ' '\n' <"$t"
	done | grep -E '^[0-9]+$' || true
}

# qemu_nbd_below PID: the qemu-nbd started by PID's sandboxed child, by pid
qemu_nbd_below() {
	local c g
	for c in $(children "$1"); do
		for g in $(children "$c"); do
			[ "$(cat "/proc/$g/comm" 2>/dev/null)" = qemu-nbd ] && echo "$g"
		done
	done
	return 0
}

# gone PID...: each has ended and been reaped (no /proc entry) within 5 s
gone() {
	local p i
	for p in "$@"; do
		for i in $(seq 100); do
			[ -e "/proc/$p" ] || break
			# a zombie is not gone: reaped is
			sleep 0.05
		done
		[ ! -e "/proc/$p" ] || fail "qemu-nbd $p outlived the run: $(cat /proc/$p/stat 2>/dev/null)"
	done
}

t_ls_leaves_nothing() {
	run tmp "$X" --reader=native ls "$WORK/t.qcow2" /
	expect_rc 0
	expect_out 'a.txt'
	tmp_is_empty
}

t_copy_leaves_nothing() {
	run tmp "$X" --reader=native copy "$WORK/t.qcow2" /d "$WORK/cdest" --no-progress
	expect_rc 0
	cmp "$WORK/ttree/d/large.bin" "$WORK/cdest/d/large.bin" || fail "the copy differs"
	tmp_is_empty
}

# Stopped mid-copy (a file half written), then SIGKILL: qemu-nbd dies with
# the sandboxed child that started it, and nothing is left in TMPDIR.
t_sigkill_mid_copy_leaves_nothing() {
	local dest=$WORK/kdest pid q i try caught=0
	# a fast machine may finish the copy between two looks: up to three tries
	for try in 1 2 3; do
		rm -rf "$dest"
		tmp_exec "$X" --reader=native copy "$WORK/t.qcow2" /d "$dest" --no-progress \
			>"$WORK/k.out" 2>"$WORK/k.err" &
		pid=$!
		for i in $(seq 600); do
			q=$(qemu_nbd_below "$pid")
			[ -n "$q" ] && [ -n "$(find "$dest" -name '.lifeboat-tmp.*' -size +1M 2>/dev/null)" ] &&
				break
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.02
		done
		kill -STOP "$pid" 2>/dev/null || true
		q=$(qemu_nbd_below "$pid")
		if [ -n "$q" ] && [ -n "$(find "$dest" -name '.lifeboat-tmp.*' -size +1M 2>/dev/null)" ]; then
			caught=1
		fi
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		[ -z "$q" ] || gone $q
		[ $caught = 0 ] || break
	done
	[ $caught = 1 ] || fail "no copy was caught under way, with its qemu-nbd"
	tmp_is_empty
}

# SIGKILL at six points from the start (opening, handshake, copying),
# each run's qemu-nbd by pid: none survives, TMPDIR stays empty.
t_sigkill_anywhere_leaves_nothing() {
	local ms pid q seen=0
	for ms in 0 5 15 30 60 120; do
		rm -rf "$WORK/adest"
		tmp_exec "$X" --reader=native copy "$WORK/t.qcow2" /d "$WORK/adest" --no-progress \
			>/dev/null 2>&1 &
		pid=$!
		sleep "$(printf '0.%03d' "$ms")"
		kill -STOP "$pid" 2>/dev/null || true
		q=$(qemu_nbd_below "$pid")
		[ -z "$q" ] || seen=$((seen + 1))
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		gone $q
	done
	tmp_is_empty
	[ "$seen" -ge 1 ] || fail "no kill met a running qemu-nbd"
}

# The sandboxed child itself killed: its qemu-nbd goes with it, and the
# copy reports the reader's end.
t_child_killed_takes_qemu_nbd() {
	local pid c q i
	rm -rf "$WORK/cdest2"
	tmp_exec "$X" --reader=native copy "$WORK/t.qcow2" /d "$WORK/cdest2" --no-progress \
		>"$WORK/c.out" 2>"$WORK/c.err" &
	pid=$!
	for i in $(seq 600); do
		q=$(qemu_nbd_below "$pid")
		[ -n "$q" ] && break
		sleep 0.02
	done
	[ -n "$q" ] || { kill -KILL "$pid"; wait "$pid" || true; fail "no qemu-nbd seen"; }
	c=$(awk '/^PPid:/ { print $2 }' "/proc/$q/status")
	kill -KILL "$c"
	RC=0
	wait "$pid" || RC=$?
	gone $q
	[ "$RC" != 0 ] || fail "the copy succeeded without its reader"
	tmp_is_empty
}

# qemu-nbd's environment: ours without OS_* (an openrc may have exported a
# password or a token), and the socket activation's LISTEN_FDS/LISTEN_PID
t_qemu_nbd_environment_is_clean() {
	local bin=$WORK/nbdbin
	mkdir -p "$bin" && rm -f "$WORK"/nbd.environ*
	cat >"$bin/qemu-nbd" <<-WRAP
	#!/bin/sh
	cat /proc/\$\$/environ >"$WORK/nbd.environ.\$\$"
	exec $(command -v qemu-nbd) "\$@"
	WRAP
	chmod +x "$bin/qemu-nbd"
	PATH=$bin:$PATH OS_PASSWORD=pw-secret-1 OS_TOKEN=tok-secret-2 \
		run tmp "$X" --reader=native ls "$WORK/t.qcow2" /
	expect_rc 0
	expect_out 'a.txt'
	local env
	env=$(cat "$WORK"/nbd.environ.* | tr '\0' '\n')
	[ -n "$env" ] || fail "our qemu-nbd was not run"
	! grep -q '^OS_' <<<"$env" || fail "qemu-nbd got $(grep '^OS_' <<<"$env" | cut -d= -f1)"
	! grep -q 'secret' <<<"$env" || fail "a secret in qemu-nbd's environment"
	grep -qx 'LISTEN_FDS=1' <<<"$env" || fail "no LISTEN_FDS=1"
	grep -q '^LISTEN_PID=[0-9]' <<<"$env" || fail "no LISTEN_PID"
	tmp_is_empty
}
