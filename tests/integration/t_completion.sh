# t_completion.sh - bash and zsh completion: made from the programs' own
# help, run for real in bash, installed by make install

COMPLETION=$TOP/contrib/completion

# complete PROGRAM WORD... - what bash's completion offers for the last
# word, one per line, sorted (with bash-completion's library loaded when
# WITH_BASH_COMPLETION is set)
complete_bash() {
	local prog=$1
	shift
	WITH_BASH_COMPLETION=${WITH_BASH_COMPLETION:-} bash --norc --noprofile -c '
		[ -n "${WITH_BASH_COMPLETION:-}" ] && . /usr/share/bash-completion/bash_completion
		. "$1"; shift
		fn=$(complete -p "$1" | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
		[ -n "$fn" ] || { echo "no completion for $1" >&2; exit 1; }
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		"$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"
	' complete "$COMPLETION/$prog.bash" "$prog" "$@" | sed '/^$/d' | sort -u
}

# every option `help CMD` names, with the cloud settings
options_of() {
	local prog=$1 cmd=$2
	{ "$LIFEBOAT_BIN/$prog" help "$cmd" | sed -n 's/^  \(-[a-zA-Z], \)\{0,1\}\(--[a-z][a-z0-9-]*\).*/\2/p'
	  "$LIFEBOAT_BIN/$prog" help "$cmd" | sed -n '/^also:/p' | grep -oE -- '--[a-z][a-z0-9-]+'
	  "$LIFEBOAT_BIN/$prog" help | sed -n '/^cloud/,/^$/p' | grep -oE -- '--[a-z][a-z0-9-]+'
	} | sort -u
}

commands_of() {
	"$LIFEBOAT_BIN/$1" help | sed -n '/^commands:/,/^$/s/^  \([a-z]*\) .*/\1/p'
}

t_completion_files_are_what_the_tables_make() {
	local prog
	for prog in lifeboat-snap lifeboat-extract; do
		"$TOP/build-aux/gen-completion.py" "$LIFEBOAT_BIN/$prog" bash >"$WORK/gen.bash"
		"$TOP/build-aux/gen-completion.py" "$LIFEBOAT_BIN/$prog" zsh >"$WORK/gen.zsh"
		cmp -s "$WORK/gen.bash" "$COMPLETION/$prog.bash" ||
			fail "$prog.bash is not what the tables make: run 'make completion'"
		cmp -s "$WORK/gen.zsh" "$COMPLETION/_$prog" ||
			fail "_$prog is not what the tables make: run 'make completion'"
		bash -n "$COMPLETION/$prog.bash" || fail "$prog.bash does not parse"
		zsh -n "$COMPLETION/_$prog" || fail "_$prog does not parse"
	done
}

t_bash_offers_each_command_exactly_its_options() {
	local prog cmd
	for prog in lifeboat-snap lifeboat-extract; do
	for cmd in $(commands_of $prog); do
		local got want
		got=$(complete_bash $prog "$cmd" --)
		want=$(options_of $prog "$cmd")
		[ -n "$want" ] || fail "help $cmd lists no options"
		[ "$got" = "$want" ] || fail "bash offers $prog '$cmd' [$(echo $got)], help lists [$(echo $want)]"
	done
	done
	# and never another command's
	! complete_bash $prog servers --d | grep -qx -- --dry-run || fail "servers offered --dry-run"
}

t_bash_finds_the_command_after_options_and_their_values() {
	local prog=lifeboat-snap
	expect_eq "$(complete_bash $prog --os-cloud prod create --st | tr '\n' ' ')" \
		"--stall-timeout --start-after --stop "
	expect_eq "$(complete_bash $prog --os-cloud retire prune --dry | tr '\n' ' ')" "--dry-run "
	expect_eq "$(complete_bash $prog cr)" create
	# as an interactive shell has it, with bash-completion's library
	expect_eq "$(WITH_BASH_COMPLETION=1 complete_bash $prog --os-cloud x prune --dry | tr '\n' ' ')" \
		"--dry-run "
	expect_eq "$(complete_bash $prog --debug ret)" retire
	expect_eq "$(complete_bash $prog help ret)" retire
	expect_eq "$(complete_bash $prog download img --progress '' | tr '\n' ' ')" "bar json none "
	expect_eq "$(complete_bash $prog --os-interface '' | tr '\n' ' ')" "admin internal public "
	# a value is not completed as an option or a command
	expect_eq "$(complete_bash $prog create db --timeout '')" ""
	# files where files go
	mkdir -p "$WORK/cdir" && : >"$WORK/cdir/disk.qcow2"
	expect_eq "$(cd "$WORK/cdir" && complete_bash $prog verify dis)" disk.qcow2
	expect_eq "$(cd "$WORK/cdir" && complete_bash $prog retire db --download dis)" disk.qcow2
	# lifeboat-extract: images are local files, paths inside them are not
	expect_eq "$(cd "$WORK/cdir" && complete_bash lifeboat-extract ls dis)" disk.qcow2
	expect_eq "$(complete_bash lifeboat-extract ls img --rea)" --reader
	expect_eq "$(complete_bash lifeboat-extract copy img --reader '' | tr '\n' ' ')" \
		"appliance auto native "
	! complete_bash lifeboat-extract cat img --j | grep -q json || fail "cat offered --json"
	local line
	line=$(bash --norc -c ". '$COMPLETION/$prog.bash'; complete -p $prog")
	expect_eq "$line" "complete -F _lifeboat_snap $prog"
}

# zsh: the file runs with the completion system's functions replaced by
# ones that print what they are given
complete_zsh() {
	local prog=$1
	shift
	zsh -f -c '
		_arguments() { print -rl -- "$@" }
		_describe() { print -rl -- "${(P)${@[-1]}[@]}" }
		file=$1 prog=$2; shift 2
		words=("$prog" "$@"); CURRENT=$#words; PREFIX=$words[-1]
		source "$file"
	' complete "$COMPLETION/_$prog" "$prog" "$@"
}

t_zsh_offers_each_command_its_options() {
	local prog cmd
	for prog in lifeboat-snap lifeboat-extract; do
	for cmd in $(commands_of $prog); do
		local got want
		# an option and its value before the command
		local before=(--os-cloud x)
		[ $prog = lifeboat-snap ] || before=(--reader native)
		got=$(complete_zsh $prog "${before[@]}" "$cmd" -- | sed -n "s/^'\{0,1\}\(--[a-z][a-z0-9-]*\)\[.*/\1/p" | sort -u)
		want=$(options_of $prog "$cmd")
		[ "$got" = "$want" ] || fail "zsh offers $prog '$cmd' [$(echo $got)], help lists [$(echo $want)]"
	done
	done
	complete_zsh lifeboat-snap cr | grep -q '^create:' || fail "zsh does not offer the commands"
}

t_make_install_installs_both_completions() {
	make -s -C "$TOP" install-completion DESTDIR="$WORK/root" PREFIX=/usr >/dev/null ||
		fail "make install-completion failed"
	cmp -s "$WORK/root/usr/share/bash-completion/completions/lifeboat-snap" \
		"$COMPLETION/lifeboat-snap.bash" || fail "bash completion not installed"
	local prog
	for prog in lifeboat-snap lifeboat-extract; do
		cmp -s "$WORK/root/usr/share/bash-completion/completions/$prog" \
			"$COMPLETION/$prog.bash" || fail "bash completion of $prog not installed"
		cmp -s "$WORK/root/usr/share/zsh/vendor-completions/_$prog" \
			"$COMPLETION/_$prog" || fail "zsh completion of $prog not installed"
	done
	grep -q 'install-completion' "$TOP/Makefile" &&
		sed -n '/^install: /,/^$/p' "$TOP/Makefile" | grep -q 'install-completion' ||
		fail "make install does not install the completion"
}

t_zsh_completes_for_real() {
	local got
	got=$(PATH=$LIFEBOAT_BIN:$PATH timeout 60 zsh -f "$TOP/tests/integration/zsh_complete.zsh" \
		"$COMPLETION" \
		'lifeboat-snap servers --js' \
		'lifeboat-snap --os-cloud x cre' \
		'lifeboat-snap download img --progress b' \
		'lifeboat-snap help ret' \
		'lifeboat-snap create db --dry' \
		'lifeboat-extract ls img --rea' \
		'lifeboat-extract copy img /a d --mani' \
		'lifeboat-extract cat img /x --js')
	expect_eq "$got" "lifeboat-snap servers --json 
lifeboat-snap --os-cloud x create 
lifeboat-snap download img --progress bar 
lifeboat-snap help retire 
lifeboat-snap create db --dry
lifeboat-extract ls img --reader 
lifeboat-extract copy img /a d --manifest 
lifeboat-extract cat img /x --js"
}
