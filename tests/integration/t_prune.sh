# t_prune.sh - prune goes on past a delete the cloud refuses, stops at
# once on a signal, and accounts for every image it was to delete

setup_file() {
	cloud_start --tls
	S=dddddddd-0000-4000-8000-00000000000
}

setup_each() {
	no_faults
	ctl release >/dev/null
}

valid() {
	local problems
	problems=$(/usr/bin/python3 "$TOP/tests/json/validate.py" "$TOP/tests/json/schema.json" <<<"$OUT") ||
		fail "not valid: $problems"
}

seed() { # seed ID SERVER CREATED
	ctl images "{\"id\": \"$1\", \"status\": \"active\", \"created_at\": \"$3\",
	  \"properties\": {\"lifeboat.server_id\": \"$2\", \"lifeboat.server_name\": \"$2\",
	  \"lifeboat.created_at\": \"$3\"}}" >/dev/null
}

# Four images of SERVER: with --keep 1, prune deletes 3, 2, 1 in that
# order (newest first), image 4 kept.
seed_four() { # seed_four SERVER DIGIT
	local i
	for i in 1 2 3 4; do
		seed "${S%?}$2$i" "$1" "2026-0$i-01T00:00:00Z"
	done
}

present() { # present ID: is the image still in the cloud?
	ctl_get state | /usr/bin/python3 -c 'import json,sys; print(any(i["id"]==sys.argv[1] for i in json.load(sys.stdin)["images"]))' "$1"
}

# the ids' last two digits, of one of the document's lists
ids_of() { json_get "[e.get(\"image\", e)[\"id\"][-2:] for e in d[\"$1\"]]"; }

t_a_refused_delete_does_not_stop_the_others() {
	local status
	for status in 409 403 503; do
		local srv=refuse$status digit
		case $status in 409) digit=1 ;; 403) digit=2 ;; 503) digit=3 ;; esac
		seed_four "$srv" $digit
		local mid=${S%?}${digit}2
		faults "[{\"path\": \"/images/$mid\$\", \"method\": \"DELETE\", \"status\": $status,
		          \"times\": 100, \"retry_after\": 0, \"message\": \"injected $status\"}]"
		ctl reset-requests >/dev/null
		run snap prune "$srv" --keep 1 --json
		expect_rc 15
		valid
		expect_eq "$(ids_of deleted)" "['${digit}3', '${digit}1']"
		expect_eq "$(ids_of failed)" "['${digit}2']"
		expect_eq "$(json_get '[(e["exit_status"], "injected '$status'" in e["reason"]) for e in d["failed"]]')" \
			"[(9, True)]"
		expect_eq "$(ids_of not_tried)" "[]"
		expect_eq "$(ids_of kept)" "['${digit}4']"
		expect_eq "$(json_get 'd["error"]["exit_status"]')" 15
		expect_err "cannot delete image '$mid'.*injected $status"
		expect_err "1 of 3 image\(s\) of '$srv' could not be deleted"
		# the image after the failed one was asked for, and went
		expect_eq "$(count_requests DELETE "/images/${S%?}${digit}1\$")" 1
		expect_eq "$(present "${S%?}${digit}1") $(present "$mid") $(present "${S%?}${digit}3")" \
			"False True False"
	done
}

t_the_text_names_each_outcome() {
	seed_four text 4
	local mid=${S%?}42
	faults "[{\"path\": \"/images/$mid\$\", \"method\": \"DELETE\", \"status\": 409, \"times\": 100}]"
	run snap prune text --keep 1
	expect_rc 15
	expect_out "deleting image ${S%?}43"
	expect_out "deleting image ${S%?}41"
	expect_err "cannot delete image '$mid'"
	expect_eq "$(present "${S%?}41") $(present "$mid")" "False True"
}

# One image to delete: its failure is the run's, with its own code.
t_a_single_failure_keeps_its_own_code() {
	seed "${S%?}51" single 2026-01-01T00:00:00Z
	seed "${S%?}52" single 2026-02-01T00:00:00Z
	faults "[{\"path\": \"/images/${S%?}51\$\", \"method\": \"DELETE\", \"status\": 409, \"times\": 100}]"
	run snap prune single --keep 1 --json
	expect_rc 9
	valid
	expect_eq "$(ids_of failed) $(ids_of deleted)" "['51'] []"
	# an image gone meanwhile is a not-found, the others still go
	seed_four gone 6
	faults "[{\"path\": \"/images/${S%?}62\$\", \"method\": \"DELETE\", \"status\": 404, \"times\": 100}]"
	run snap prune gone --keep 1 --json
	expect_rc 15
	valid
	expect_eq "$(json_get '[(e["image"]["id"][-2:], e["exit_status"]) for e in d["failed"]]')" "[('62', 7)]"
	expect_eq "$(ids_of deleted)" "['63', '61']"
}

# A signal during the second delete: the first is deleted, the second's
# fate is unknown (its request was cut), the third is never asked for.
t_a_signal_stops_at_once() {
	seed_four sig 7
	local second=${S%?}72 third=${S%?}71
	faults "[{\"path\": \"/images/$second\$\", \"method\": \"DELETE\", \"action\": \"hang\"}]"
	ctl reset-requests >/dev/null
	"$LIFEBOAT_BIN/lifeboat-snap" prune sig --keep 1 --json >"$WORK/out" 2>"$WORK/err" &
	local pid=$!
	ctl wait-hang '{"timeout": 20}' | grep -q "$second" || { kill -9 $pid; fail "no delete held"; }
	kill -INT $pid
	local i
	for i in $(seq 40); do
		kill -0 $pid 2>/dev/null || break
		sleep 0.05
	done
	kill -0 $pid 2>/dev/null && { kill -9 $pid; fail "still running 2 s after SIGINT"; }
	set +e
	wait $pid
	RC=$?
	set -e
	ctl release >/dev/null
	OUT=$(cat "$WORK/out")
	ERR=$(cat "$WORK/err")
	expect_rc 130
	valid
	expect_eq "$(ids_of deleted)" "['73']"
	expect_eq "$(json_get '[(e["image"]["id"][-2:], e["exit_status"]) for e in d["failed"]]')" "[('72', 130)]"
	expect_eq "$(json_get '[(e["image"]["id"][-2:], e["because"]) for e in d["not_tried"]]')" \
		"[('71', 'interrupted')]"
	expect_eq "$(json_get 'd["error"]["exit_status"]')" 130
	expect_eq "$(count_requests DELETE "/images/$third\$")" 0
	expect_eq "$(present "$third")" True
}

t_a_dry_run_has_empty_outcomes() {
	seed_four dry 8
	run snap prune dry --keep 1 --dry-run --json
	expect_rc 0
	valid
	expect_eq "$(ids_of would_delete) $(ids_of failed) $(ids_of not_tried)" "['83', '82', '81'] [] []"
}
