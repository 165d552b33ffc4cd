# t_cli.sh - the command line: each command takes its own options and
# refuses every other one before any request; help for each command

setup_file() {
	cloud_start --tls
	add_server '{"id": "c1000000-0000-4000-8000-000000000000", "name": "db"}'
	add_server "{\"id\": \"c2000000-0000-4000-8000-000000000000\", \"name\": \"$LONG_NAME\"}"
	add_server "{\"id\": \"c3000000-0000-4000-8000-000000000000\", \"name\": \"$WIDE_NAME\"}"
	add_server '{"id": "c4000000-0000-4000-8000-000000000000", "name": "esc\u001b[2Jname"}'
}

# a 60-character name, and one of wide characters (two columns each)
LONG_NAME=db-0123456789-abcdefghij-0123456789-abcdefghij-0123456789xyz
WIDE_NAME=データベース本番サーバー

# What each command takes besides --json, --debug, --help and the cloud
# settings, as the man page documents it. Written out here, not read
# from the program, so that a change to the program's table must be
# made here too.
declare -gA TAKES=(
	[auth]="show-token"
	[servers]=""
	[create]="download stop force-stop start-after no-wait wait name reason property timeout
	          force all-hashes progress stall-timeout tries all match server-property parallel
	          metrics-file"
	[wait]="timeout"
	[show]=""
	[list]="all match server-property parallel"
	[prune]="keep older-than dry-run all match server-property parallel metrics-file"
	[download]="force all-hashes progress stall-timeout tries metrics-file"
	[verify]="all-hashes"
	[guard]="max-age file all-hashes stop force-stop live start-after timeout all match
	         server-property parallel metrics-file create-if-stale"
	[retire]="download stop force-stop live name reason property timeout yes volumes-ok
	          delete-boot-volume dry-run force all-hashes progress stall-timeout tries
	          metrics-file inventory"
	[report]=""
	[help]=""
)
# the positional arguments each command is tried with
declare -gA ARGS=(
	[auth]="" [servers]="" [create]="db" [wait]="img-1" [show]="img-1" [list]=""
	[prune]="db" [download]="img-1 x.qcow2" [verify]="x.qcow2" [guard]="db"
	[retire]="db" [report]="x.retire.json" [help]=""
)
# a valid value for every option that takes one
declare -gA VALUE=(
	[download]=d.qcow2 [name]=n [reason]=r [property]=k=v [timeout]=1h [keep]=1
	[older-than]=1d [max-age]=2h [file]=f.qcow2 [progress]=none [stall-timeout]=60s
	[tries]=2 [format]=json [column]=id [match]=d* [server-property]=k=v [parallel]=2
	[metrics-file]=m.prom [inventory]=i.json
)

# json_get_stdin EXPR - as json_get, on standard input
json_get_stdin() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

all_options() { printf '%s\n' "${TAKES[@]}" | tr -s ' \t' '\n' | sed '/^$/d' | sort -u; }

# the options `help CMD` lists as the command's own
own_options() {
	snap help "$1" | sed -n 's/^  \(--[a-z][a-z0-9-]*\).*/\1/p' | sed 's/^--//' | sort
}

t_help_lists_exactly_what_each_command_takes() {
	local cmd
	for cmd in "${!TAKES[@]}"; do
		local want got
		want=$(printf '%s\n' ${TAKES[$cmd]} | sed '/^$/d' | sort)
		got=$(own_options "$cmd")
		[ "$got" = "$want" ] || fail "help $cmd lists [$(echo $got)], expected [$(echo $want)]"
	done
	# and no command is missing from this file
	local listed
	listed=$(snap help | sed -n '/^commands:/,/^$/s/^  \([a-z]*\) .*/\1/p' | sort)
	expect_eq "$listed" "$(printf '%s\n' "${!TAKES[@]}" | sort)"
}

t_every_command_refuses_every_option_it_does_not_take() {
	ctl reset-requests >/dev/null
	local cmd opt tried=0 options
	options=$(all_options)
	for cmd in "${!TAKES[@]}"; do
		local takes hint="lifeboat-snap help $cmd"
		takes=" $(echo ${TAKES[$cmd]}) "
		# --json, --format and --column go with every command but help
		if [ "$cmd" = help ]; then hint="lifeboat-snap help"; else takes="$takes json format column "; fi
		for opt in $options json format column; do
			[[ $takes == *" $opt "* ]] && continue
			local value=() err rc
			[ -n "${VALUE[$opt]:-}" ] && value=("${VALUE[$opt]}")
			# shellcheck disable=SC2086
			# no subshell: a few hundred runs, each one process
			"$LIFEBOAT_BIN/lifeboat-snap" $cmd ${ARGS[$cmd]} "--$opt" "${value[@]}" \
				>/dev/null 2>"$WORK/refused" && rc=0 || rc=$?
			IFS= read -r err <"$WORK/refused" || err=
			[ "$rc" = 2 ] || fail "$cmd --$opt: exit $rc, expected 2"
			[ "$err" = "lifeboat-snap: '$cmd' does not take --$opt; see '$hint'" ] ||
				fail "$cmd --$opt: said '$err'"
			tried=$((tried + 1))
		done
	done
	[ $tried -gt 200 ] || fail "only $tried refusals tried"
	expect_eq "$(ctl_get requests | json_get_stdin 'len(d["requests"]) + d["token_issues"]')" 0
	# the counter does count: a command line that is taken reaches the cloud
	run snap servers --json
	expect_rc 0
	[ "$(count_requests GET '/servers/detail$')" -ge 1 ] || fail "no request counted"
}

t_the_reported_lines_exit_2_and_do_nothing() {
	ctl reset-requests >/dev/null
	run snap create db --dry-run --no-wait
	expect_rc 2
	expect_err "'create' does not take --dry-run"
	run snap download img-1 x.qcow2 --dry-run
	expect_rc 2
	[ ! -e x.qcow2 ] && [ ! -e x.qcow2.part ] || fail "download wrote a file"
	run snap wait img-1 --start-after
	expect_rc 2
	run snap servers --keep 5 --yes
	expect_rc 2
	expect_err "'servers' does not take --keep"
	# before the command too, and whatever the value
	run snap --dry-run create db
	expect_rc 2
	expect_err "'create' does not take --dry-run"
	# create's download options, without --download, would do nothing
	local knob
	for knob in --force --all-hashes "--progress none" "--stall-timeout 1m" "--tries 2"; do
		# shellcheck disable=SC2086
		run snap create db $knob
		expect_rc 2
		expect_err "'create' takes ${knob%% *} only with --download FILE"
	done
	run snap servers --timeout not-a-duration
	expect_rc 2
	expect_err "'servers' does not take --timeout"
	expect_eq "$(count_requests POST '.')" 0
	expect_eq "$(token_issues)" 0
}

t_unknown_options_and_commands_are_usage_errors() {
	run snap servers --no-such-option
	expect_rc 2
	expect_err "unknown option '--no-such-option'"
	run snap create db --st
	expect_rc 2
	expect_err "ambiguous option '--st': --stop, --start-after, --stall-timeout"
	run snap create db --stop=yes
	expect_rc 2
	expect_err "option '--stop' takes no value"
	run snap frobnicate
	expect_rc 2
	expect_err "unknown command 'frobnicate'"
	run snap create
	expect_rc 2
	expect_err "wrong number of arguments: lifeboat-snap create \[options\] SERVER"
	run snap help nosuch
	expect_rc 2
	expect_err "no command named 'nosuch'"
}

t_help_for_each_command_fits_a_screen() {
	local cmd
	for cmd in "${!TAKES[@]}"; do
		run snap help "$cmd"
		expect_rc 0
		expect_out "^usage: lifeboat-snap $cmd "
		local lines
		lines=$(wc -l <"$WORK/out")
		[ "$lines" -le 24 ] || fail "help $cmd is $lines lines"
		[ -z "$(awk 'length > 80' "$WORK/out")" ] || fail "help $cmd has lines over 80 columns"
		# --help after the command, and before it, say the same
		local help
		help=$OUT
		run snap "$cmd" --help
		expect_rc 0
		expect_eq "$OUT" "$help"
		run snap --help "$cmd"
		expect_eq "$OUT" "$help"
	done
	run snap help
	expect_rc 0
	expect_out '^commands:'
	[ "$(wc -l <"$WORK/out")" -le 50 ] || fail "the global help is over 50 lines"
	[ -z "$(awk 'length > 80' "$WORK/out")" ] || fail "the global help has lines over 80 columns"
	local global=$OUT
	run snap --help
	expect_eq "$OUT" "$global"
}

t_common_and_cloud_options_go_with_every_command() {
	# an alias holding the cloud settings works with help too
	run snap --os-cloud nosuch --debug help create
	expect_rc 0
	expect_out '^usage: lifeboat-snap create'
	run snap --os-region-name RegionOne servers --json
	expect_rc 0
}

t_durations_need_a_unit_and_may_combine_units() {
	ctl reset-requests >/dev/null
	local bad
	for bad in 5 0 1h30 30m1h 99999999999999999999s 1.5h; do
		run snap wait img-1 --timeout "$bad"
		expect_rc 2
		expect_err "^lifeboat-snap: --timeout: '$bad' "
	done
	run snap wait img-1 --timeout 5
	expect_err "'5' has no unit: write 5s, 5m, 5h or 5d"
	run snap prune db --keep 1 --older-than 0
	expect_rc 2
	expect_err "1h30m"
	expect_eq "$(ctl_get requests | json_get_stdin 'len(d["requests"]) + d["token_issues"]')" 0
	local good
	for good in 90s 15m 2h 1h30m 1d 1d12h; do
		run snap prune db --keep 1 --older-than "$good" --dry-run --json
		expect_rc 0
	done
}

# aligned FIELD - each line of $OUT has the token in column FIELD (1-based,
# split on runs of two or more spaces) at the same display column
aligned() {
	/usr/bin/python3 -c '
import re, sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in s)
field = int(sys.argv[1]) - 1
cols = set()
for line in sys.stdin.read().splitlines():
    parts = [m for m in re.finditer(r"\S+(?: \S+)*", line)]
    cols.add(width(line[:parts[field].start()]))
print(len(cols))
' "$1" <<<"$OUT"
}

t_server_table_keeps_columns_with_long_and_wide_names() {
	[ ${#LONG_NAME} = 60 ] || fail "the long name is ${#LONG_NAME} characters"
	local loc
	for loc in C.UTF-8 C; do
		OUT=$(LC_ALL=$loc snap servers) || fail "servers failed under $loc"
		expect_eq "$(aligned 3)" 1
		expect_eq "$(aligned 4)" 1
		grep -qF "$WIDE_NAME" <<<"$OUT" || fail "the wide name is not shown whole under $loc"
		# the long name is cut, with an ellipsis, in the table only
		grep -qF "${LONG_NAME:0:31}…" <<<"$OUT" || fail "the long name is not cut under $loc"
		! grep -qF "$LONG_NAME" <<<"$OUT" || fail "the long name is not cut under $loc"
		# a control character never reaches the terminal
		! grep -q $'\e' <<<"$OUT" || fail "an escape character was printed"
		grep -qF 'esc?[2Jname' <<<"$OUT" || fail "the escape is not shown as '?'"
	done
	run snap servers --json
	expect_eq "$(json_get '[s["display_name"] for s in d["servers"] if s["id"].startswith("c2")][0]')" "$LONG_NAME"
	expect_eq "$(json_get '[s["display_name"] for s in d["servers"] if s["id"].startswith("c3")][0]')" "$WIDE_NAME"
}

t_image_names_are_unique_within_a_second_and_list_keeps_columns() {
	local ids=() i
	for i in 1 2 3 4; do
		run snap create db --no-wait
		expect_rc 0
		ids+=("$OUT")
	done
	local names=()
	for i in "${ids[@]}"; do
		OUT=$(snap show "$i" --json)
		names+=("$(json_get 'd["image"]["name"]')")
	done
	for i in "${names[@]}"; do
		[[ $i =~ ^lifeboat-db-[0-9]{8}T[0-9]{6}\.[0-9]{3}Z-c1000000$ ]] || fail "image name '$i'"
	done
	expect_eq "$(printf '%s\n' "${names[@]}" | sort -u | wc -l)" 4
	run snap create "$LONG_NAME" --reason "a reason long enough to be cut in the list table, which it is"
	expect_rc 0
	OUT=$(snap show "$OUT" --json)
	[[ $(json_get 'd["image"]["name"]') == lifeboat-$LONG_NAME-*-c2000000 ]] || fail "long server's image name"
	run snap create "$WIDE_NAME"
	expect_rc 0
	OUT=$(LC_ALL=C.UTF-8 snap list)
	expect_eq "$(aligned 3)" 1
	expect_eq "$(aligned 6)" 1
	grep -qF "$WIDE_NAME" <<<"$OUT" || fail "the wide server name is not in the list"
	grep -qF "${LONG_NAME:0:23}…" <<<"$OUT" || fail "the long server name is not cut"
	run snap list --json
	expect_out "\"$LONG_NAME\""
	expect_out "a reason long enough to be cut in the list table, which it is"
}

# lifeboat-extract: the same rules; IMAGE does not exist, so an option
# that slipped through would end in another exit code, never the appliance
declare -gA XTAKES=(
	[filesystems]="format reader allow-backing verbose"
	[ls]="format filesystem reader allow-backing long recursive verbose"
	[cat]="format filesystem reader allow-backing verbose"
	[copy]="format filesystem reader allow-backing manifest include exclude newer-than
	        preserve-owner specials progress no-progress verbose"
	[verify]="owner"
	[inventory]="format filesystem reader allow-backing backed-up fail-if-unprotected
	             min-size top progress no-progress verbose"
	[help]=""
)
declare -gA XARGS=(
	[filesystems]="none.img" [ls]="none.img" [cat]="none.img /f" [copy]="none.img /etc d"
	[verify]="d m" [inventory]="none.img" [help]=""
)
declare -gA XVALUE=(
	[format]=raw [filesystem]=/dev/sda1 [reader]=native [manifest]=m [include]='*'
	[exclude]='*' [newer-than]=2026-01-31 [backed-up]=b [min-size]=1M [top]=3
)
SHORT_OF_long=l SHORT_OF_recursive=R SHORT_OF_verbose=v

t_extract_commands_take_only_their_options() {
	local X=$LIFEBOAT_BIN/lifeboat-extract cmd opt all tried=0
	all=$(printf '%s\n' "${XTAKES[@]}" | tr -s ' \t' '\n' | sed '/^$/d' | sort -u)
	for cmd in "${!XTAKES[@]}"; do
		local want got
		want=$(printf '%s\n' ${XTAKES[$cmd]} | sort)
		got=$("$X" help "$cmd" | sed -n 's/^  \(-., \)\{0,1\}--\([a-z][a-z0-9-]*\).*/\2/p' | sort)
		[ "$got" = "$want" ] || fail "extract help $cmd lists [$(echo $got)], expected [$(echo $want)]"
		local takes=" $(echo ${XTAKES[$cmd]}) " hint="lifeboat-extract help $cmd"
		if [ "$cmd" = help ]; then hint="lifeboat-extract help"; fi
		[ "$cmd" = cat ] || [ "$cmd" = help ] || takes="$takes json "
		for opt in $all json; do
			[[ $takes == *" $opt "* ]] && continue
			local value=() err rc said="--$opt" short
			[ -n "${XVALUE[$opt]:-}" ] && value=("${XVALUE[$opt]}")
			short=SHORT_OF_${opt//-/_}
			[ -n "${!short:-}" ] && said="-${!short} (--$opt)"
			# shellcheck disable=SC2086
			"$X" $cmd ${XARGS[$cmd]} "--$opt" "${value[@]}" >/dev/null 2>"$WORK/refused" &&
				rc=0 || rc=$?
			IFS= read -r err <"$WORK/refused" || err=
			[ "$rc" = 2 ] || fail "extract $cmd --$opt: exit $rc, expected 2"
			[ "$err" = "lifeboat-extract: '$cmd' does not take $said; see '$hint'" ] ||
				fail "extract $cmd --$opt: said '$err'"
			tried=$((tried + 1))
		done
		run "$X" help "$cmd"
		expect_rc 0
		[ "$(wc -l <"$WORK/out")" -le 24 ] || fail "extract help $cmd is too long"
		[ -z "$(awk 'length > 80' "$WORK/out")" ] || fail "extract help $cmd is too wide"
		local help=$OUT
		run "$X" "$cmd" --help
		expect_eq "$OUT" "$help"
	done
	[ $tried -gt 70 ] || fail "only $tried refusals tried"
	# what ls takes goes through, to the missing image
	run "$X" ls none.img -l -R --verbose --json
	[ "$RC" != 2 ] || fail "ls refused its own options"
	expect_err "'none.img': No such file or directory"
	run "$X" cat none.img /f -l
	expect_rc 2
	expect_err "'cat' does not take -l \(--long\)"
	run "$X" help
	expect_rc 0
	[ "$(wc -l <"$WORK/out")" -le 50 ] || fail "the extract help is over 50 lines"
}
