# t_extract_refused.sh - the native reader meets directory entries no kernel
# could have made (a second "." and "..", "/" or NUL inside a name, an
# empty name): each is reported as refused in its directory, the rest is
# copied, and the copy ends partial (exit 7, MANIFEST.partial), as with the
# appliance reader. No appliance.

setup_file() {
	X=$LIFEBOAT_BIN/lifeboat-extract
	"$TOP/tests/images/impossible-names.sh" "$WORK/imp.raw" || return 1
	"$X" --reader=native copy "$WORK/imp.raw" /data "$WORK/rdest" --manifest "$WORK/r.manifest" \
		--json --no-progress >"$WORK/r.out" 2>"$WORK/r.err"
	R_RC=$?
}

t_refused_entries_make_the_copy_partial() {
	OUT=$(cat "$WORK/r.out") ERR=$(cat "$WORK/r.err") RC=$R_RC
	expect_rc 7
	[ ! -e "$WORK/r.manifest" ] || fail "a final manifest for a partial copy"
	[ -f "$WORK/r.manifest.partial" ] || fail "no partial manifest"
	expect_eq "$(cat "$WORK/rdest/data/bad/good.txt")" good
	expect_eq "$(cat "$WORK/rdest/data/ok/fine.txt")" fine
	grep -q ' data/bad/good.txt$' "$WORK/r.manifest.partial" || fail "good.txt not in the manifest"
}

t_each_refusal_is_reported_with_its_reason() {
	OUT=$(cat "$WORK/r.out")
	expect_eq "$(json_get '"|".join(sorted(p["why"].split(": ")[-2] for p in d["not_copied"] if p["kind"] == "refused" and p["path"] == "data/bad"))')" \
		"a '/' inside a name|a NUL byte inside a name|a second '.'|a second '..'|an empty name"
	expect_eq "$(json_get 'len(d["not_copied"])')" 5
	expect_eq "$(json_get 'd["exit_status"]')" 7
	# the name is shown, printable
	expect_eq "$(json_get '[p["why"] for p in d["not_copied"] if "NUL" in p["why"]][0].split("(")[0]')" \
		"an entry named 'n\\x00l' "
}

# only where they are: a directory without them copies complete
t_a_clean_directory_is_complete() {
	run "$X" --reader=native copy "$WORK/imp.raw" /data/ok "$WORK/okdest" \
		--manifest "$WORK/ok.manifest" --no-progress
	expect_rc 0
	[ -f "$WORK/ok.manifest" ] || fail "no final manifest"
}

t_ls_names_them_on_stderr() {
	run "$X" --reader=native ls "$WORK/imp.raw" /data/bad
	expect_rc 0
	expect_out '^good.txt$'
	expect_err "a '/' inside a name: refused"
	[ "$(grep -c 'refused' <<<"$ERR")" = 5 ] || fail "not five refusals on stderr"
}
