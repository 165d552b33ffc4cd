# t_inventory.sh - "inventory" on disks built by the test
# (tests/images/inventory-tree.py): a Debian root with a real dpkg
# database, the same shape with pacman, and a data disk with no OS. The
# whole JSON document is compared, every field of every root, drift entry
# and warning; the native reader must give the same document. Three
# appliance launches.
# lane: appliance

setup_file() {
	export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
	X=$LIFEBOAT_BIN/lifeboat-extract
	cd "$WORK" || return 1
	for shape in debian arch data; do
		"$TOP/tests/images/inventory-tree.py" "$shape.img" "$shape" || return 1
	done
	SUM_BEFORE=$(sha256sum debian.img)
	cat >backed-up.list <<'EOF'
# what the nightly restic job takes
/var/lib/postgresql
/home/*                          # every home
/var/lib/docker/volumes/traq_db/
/etc/traq
EOF
	printf '/\n' >everything.list
	local r
	for r in appliance native; do
		"$X" inventory debian.img --json --backed-up backed-up.list --fail-if-unprotected \
			--reader $r >deb.$r.json 2>deb.$r.err
		echo $? >deb.$r.rc
		"$X" inventory arch.img --json --backed-up everything.list --fail-if-unprotected \
			--reader $r >arch.$r.json 2>arch.$r.err
		echo $? >arch.$r.rc
		"$X" inventory data.img --json --reader $r >data.$r.json 2>data.$r.err
		echo $? >data.$r.rc
	done
	# what a person sees on a terminal: the table, progress on stderr
	# (the native reader, as auto chooses for ext4)
	/usr/bin/python3 "$TOP/tests/integration/pty_run.py" x --prompt NEVER-ASKED \
		"$X" inventory debian.img --min-size 2k --top 4 >deb.txt 2>&1
	TXT_RC=$?
}

# Every field of the document, one line per object, in order; unknown
# keys fail, so the schema cannot grow unnoticed.
flat() {
	/usr/bin/python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
top = ["schema", "command", "image", "reader", "os", "package_manager", "packages", "entries", "owned",
       "roots", "hidden", "unprotected", "drift", "warnings", "notes", "rescue"]
assert list(d) == top, list(d)
assert d["command"] == "inventory", d["command"]
s = lambda v: "-" if v is None else str(v)
print("doc", d["schema"], d["image"], d["reader"], d["os"], s(d["package_manager"]),
      d["packages"], d["entries"], d["owned"])
for r in d["roots"]:
    assert list(r) == ["path", "kind", "size", "files", "newest_mtime", "status",
                       "covered_by", "databases"], list(r)
    dbs = ",".join("%s:%s:%s" % (b["engine"], b["path"], b["needs_recovery"])
                   for b in r["databases"]) or "-"
    print("root", r["path"], "|", r["kind"], "|", r["size"], r["files"], r["newest_mtime"],
          r["status"], s(r["covered_by"]), dbs)
print("hidden", d["hidden"]["roots"], d["hidden"]["size"])
u = d["unprotected"]
print("unprotected", u["roots"], u["size"], u["drift"])
for x in d["drift"]:
    assert list(x) == ["path", "reason", "kind", "package", "status", "covered_by"], list(x)
    print("drift", x["path"], x["reason"], "|", x["kind"], "|", s(x["package"]), x["status"],
          s(x["covered_by"]))
for w in d["warnings"]:
    print("warning", w["path"], w["message"])
for n in d["notes"]:
    print("note", n)
for c in d["rescue"]:
    print("rescue", c)
PY
}

expect_doc() {
	local got
	got=$(flat "$1") || fail "the document does not parse as schema 1"
	diff <(cat) <(printf '%s\n' "$got") || fail "the inventory differs (- expected, + got)"
}

# result SHAPE: the appliance's run of that image in RC, OUT and ERR
result() {
	RC=$(cat "$1.appliance.rc") OUT=$(cat "$1.appliance.json") ERR=$(cat "$1.appliance.err")
}

t_debian_inventory_is_exact() {
	result deb
	expect_rc 11   # --fail-if-unprotected, and much is
	expect_not 'inventory: [0-9]+ entries'   # not a terminal: no progress
	expect_doc deb.appliance.json <<'EOF'
doc 1 debian.img appliance True dpkg 10 159 40
root /opt/traq | unpackaged program | 50500 2 1764000000 unprotected - -
root /var/lib/mysql | database | 16441 2 1764000000 unprotected - mysql:/var/lib/mysql:True
root /var/lib/traq | service data | 8100 3 1764500000 unprotected - -
root /var/www/html/uploads | web root | 4321 1 1764000000 unprotected - -
root /var/lib/docker/volumes/traq_uploads | container volume | 2000 2 1764000000 unprotected - -
root /var/log | logs | 1110 2 1764000000 unprotected - -
root /srv/app/uploads | service data | 1000 2 1764500000 unprotected - -
root /var/lib/elasticsearch | database | 1000 2 1764000000 unprotected - elasticsearch:/var/lib/elasticsearch:True
root /usr/local/bin/traq-backup | unpackaged program | 250 1 1764000000 unprotected - -
root /var/lib/redis | database | 100 1 1764000000 unprotected - redis:/var/lib/redis/dump.rdb:True
root /usr/local/sbin/maintenance.sh | unpackaged program | 93 1 1764000000 unprotected - -
root /root/.ssh | user home | 90 1 1764000000 unprotected - -
root /var/lib/postgresql/15/main | database | 16390 4 1764000000 covered /var/lib/postgresql postgresql:/var/lib/postgresql/15/main:True
root /home/alice | user home | 3268 3 1764000000 covered /home/* sqlite:/home/alice/notes.sqlite:True
root /var/lib/docker/volumes/traq_db | container volume | 2000 1 1764000000 covered /var/lib/docker/volumes/traq_db -
hidden 0 0
unprotected 12 85005 8
drift /etc/cron.d/e2scrub_all missing | cron | e2fsprogs unprotected -
drift /etc/cron.d/traq-backup unowned | cron | - unprotected -
drift /etc/ssh/sshd_config changed | config | openssh-server unprotected -
drift /etc/systemd/system/fstrim-all.service unowned | systemd unit | - unprotected -
drift /etc/systemd/system/fstrim-all.timer unowned | timer | - unprotected -
drift /etc/systemd/system/nightly-reboot.service unowned | systemd unit | - unprotected -
drift /etc/systemd/system/nightly-reboot.timer unowned | timer | - unprotected -
drift /etc/traq/config.yml unowned | config | - covered /etc/traq
drift /var/spool/cron/crontabs/alice unowned | cron | - unprotected -
warning /etc/systemd/system/nightly-reboot.timer nightly-reboot.timer has Persistent=true and starts nightly-reboot.service, which reboots the machine: on a server booted after a missed run (a restored one, one started late) it fires at once
rescue lifeboat-extract copy debian.img /opt/traq /var/lib/mysql /var/www/html/uploads /var/lib/docker/volumes/traq_uploads /var/log /var/lib/elasticsearch /usr/local/bin/traq-backup /var/lib/redis /usr/local/sbin/maintenance.sh /root/.ssh /etc /var/spool/cron ./rescue
rescue lifeboat-extract copy debian.img /var/lib/traq /srv/app/uploads ./rescue-2
EOF
}

t_pacman_inventory_is_exact() {
	result arch
	expect_rc 0    # everything covered: the runbook may go on
	expect_doc arch.appliance.json <<'EOF'
doc 1 arch.img appliance True pacman 5 145 24
root /opt/traq | unpackaged program | 50500 2 1764000000 covered / -
root /var/lib/mysql | database | 16441 2 1764000000 covered / mysql:/var/lib/mysql:True
root /var/lib/postgresql/15/main | database | 16390 4 1764000000 covered / postgresql:/var/lib/postgresql/15/main:True
root /var/lib/traq | service data | 8100 3 1764500000 covered / -
root /home/alice | user home | 3268 3 1764000000 covered / sqlite:/home/alice/notes.sqlite:True
root /var/lib/docker/volumes/traq_db | container volume | 2000 1 1764000000 covered / -
root /var/lib/docker/volumes/traq_uploads | container volume | 2000 2 1764000000 covered / -
root /var/log | logs | 1110 2 1764000000 covered / -
root /srv/app/uploads | service data | 1000 2 1764500000 covered / -
root /var/lib/elasticsearch | database | 1000 2 1764000000 covered / elasticsearch:/var/lib/elasticsearch:True
root /srv/http/index.html | web root | 300 1 1764000000 covered / -
root /usr/local/bin/traq-backup | unpackaged program | 250 1 1764000000 covered / -
root /var/lib/redis | database | 100 1 1764000000 covered / redis:/var/lib/redis/dump.rdb:True
root /usr/local/sbin/maintenance.sh | unpackaged program | 93 1 1764000000 covered / -
root /root/.ssh | user home | 90 1 1764000000 covered / -
hidden 0 0
unprotected 0 0 0
drift /etc/cron.d/traq-backup unowned | cron | - covered /
drift /etc/ssh/sshd_config changed | config | openssh covered /
drift /etc/systemd/system/fstrim-all.service unowned | systemd unit | - covered /
drift /etc/systemd/system/fstrim-all.timer unowned | timer | - covered /
drift /etc/systemd/system/nightly-reboot.service unowned | systemd unit | - covered /
drift /etc/systemd/system/nightly-reboot.timer unowned | timer | - covered /
drift /etc/traq/config.yml unowned | config | - covered /
drift /var/spool/cron/crontabs/alice unowned | cron | - covered /
warning /etc/systemd/system/nightly-reboot.timer nightly-reboot.timer has Persistent=true and starts nightly-reboot.service, which reboots the machine: on a server booted after a missed run (a restored one, one started late) it fires at once
EOF
}

t_data_disk_inventories_each_filesystem() {
	result data
	expect_rc 0    # no --fail-if-unprotected
	expect_doc data.appliance.json <<'EOF'
doc 1 data.img appliance False - 0 20 0
root /dev/sda2/pgdata | database | 8198 3 1764000000 unprotected - postgresql:/dev/sda2/pgdata:True
root /dev/sda1/photos | data | 4000 2 1764500000 unprotected - -
root /dev/sda2/lib/chat/icons | data | 2100 2 1764000000 unprotected - -
root /dev/sda1/todo.txt | data | 10 1 1764000000 unprotected - -
hidden 0 0
unprotected 4 14308 0
rescue lifeboat-extract copy data.img /dev/sda2/pgdata /dev/sda1/photos /dev/sda2/lib/chat/icons /dev/sda1/todo.txt ./rescue
EOF
}

# The native reader walks the same trees: the same document, field for
# field, but for the reader's name; and no word of the appliance.
t_both_readers_give_the_same_inventory() {
	local shape
	for shape in deb arch data; do
		diff <(flat $shape.appliance.json | sed '1s/ appliance / READER /') \
			<(flat $shape.native.json | sed '1s/ native / READER /') ||
			fail "$shape: the native reader's inventory differs"
		expect_eq "$(cat $shape.native.rc)" "$(cat $shape.appliance.rc)"
		expect_eq "$(cat $shape.native.err)" ""
	done
}

t_the_table_ranks_and_ends_with_the_rescue() {
	RC=$TXT_RC OUT=$(cat deb.txt) ERR=
	expect_rc 0
	expect_out 'inventory: 159 entries walked'
	expect_out '^debian.img: 159 entries walked \(native reader\), dpkg: 10 packages owning 40 of them'
	expect_not 'using the appliance'
	expect_out '^STATUS +KIND +SIZE +FILES +NEWEST +PATH'
	# --min-size 2k --top 4: the four biggest, the rest counted
	expect_eq "$(grep -c '^unprotected  ' <<<"$OUT")" 4
	expect_out '^unprotected  unpackaged program +49\.3 KiB +2  2025-11-24  /opt/traq'
	expect_out '^unprotected  database +16\.1 KiB +2  2025-11-24  /var/lib/mysql  \[mysql /var/lib/mysql: a copy of a running database needs its own recovery\]'
	expect_out '^\(11 more, 14\.9 KiB, below --min-size or past --top\)'
	expect_out '^warning: /etc/systemd/system/nightly-reboot.timer: nightly-reboot.timer has Persistent=true'
	expect_out '^  unprotected  changed  config +/etc/ssh/sshd_config \(openssh-server\)'
	expect_out '^unprotected: 6 roots \(96\.7 KiB\) and 9 configuration files; to rescue them:'
	expect_out '^  lifeboat-extract copy debian.img /opt/traq /var/lib/mysql /var/lib/postgresql/15/main /var/www/html/uploads /home/alice /etc /var/spool/cron ./rescue'
	expect_out '^  lifeboat-extract copy debian.img /var/lib/traq ./rescue-2'
}

t_bad_backed_up_file_is_a_usage_error_before_any_launch() {
	printf '/ok\nrelative/x\n' >bad.list
	local started=$SECONDS
	run "$X" inventory debian.img --backed-up bad.list
	expect_rc 2
	expect_err "--backed-up 'bad.list': line 2: 'relative/x' is not an absolute path"
	[ $((SECONDS - started)) -lt 5 ] || fail "the appliance was started"
	run "$X" inventory debian.img --min-size 5X
	expect_rc 2
	expect_err "--min-size: '5X' is not a size"
	run "$X" inventory debian.img --top 0
	expect_rc 2
}

t_image_unchanged() {
	expect_eq "$(sha256sum debian.img)" "$SUM_BEFORE"
}
