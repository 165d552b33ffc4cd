#!/usr/bin/env bash
# run.sh - benchmarks, not tests: lifeboat-snap download against the tool
# a user would otherwise use, on the same image from the same local cloud,
# in the same run. Medians of RUNS; results in build/bench/results.md.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
: "${LIFEBOAT_BIN:=$TOP/build/release}"
: "${BENCH_SIZE_MIB:=2048}"
: "${RUNS:=3}"
BENCH=$TOP/build/bench
mkdir -p "$BENCH"
WORK=$(mktemp -d "$BENCH/run.XXXXXX")
CERTS=$WORK/certs
export TOP WORK CERTS LIFEBOAT_BIN
for v in $(env | sed -n 's/^\(OS_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
"$TOP/tests/cloud/certs.sh" "$CERTS"
source "$TOP/tests/integration/lib.sh"
trap 'cloud_stop; rm -rf "$WORK"' EXIT

echo "bench: making a ${BENCH_SIZE_MIB} MiB image"
head -c $((BENCH_SIZE_MIB * 1024 * 1024)) /dev/urandom >"$WORK/disk.img"
cloud_start
export OS_CACERT=
ctl config '{"save_delay": 0.1}' >/dev/null
add_server "{\"name\": \"bench\", \"disk\": \"$WORK/disk.img\"}"
id=$("$LIFEBOAT_BIN/lifeboat-snap" create bench)
url=$CLOUD_URL/image/v2/images/$id/file
# The token goes to curl through a file, never through argv.
"$LIFEBOAT_BIN/lifeboat-snap" auth --show-token --json | /usr/bin/python3 -c \
	'import json,sys; print("X-Auth-Token: " + json.load(sys.stdin)["token"])' >"$WORK/hdr"
chmod 600 "$WORK/hdr"
rm "$WORK/disk.img"

measure() { /usr/bin/python3 "$TOP/tests/bench/measure.py" "$@"; }
out=$WORK/out.qcow2
results=$WORK/results
: >"$results"
for i in $(seq "$RUNS"); do
	rm -f "$out"*
	measure lifeboat "'$LIFEBOAT_BIN/lifeboat-snap' download $id '$out' --progress none >/dev/null" >>"$results"
	rm -f "$out"*
	measure curl "curl -sS -f -H @'$WORK/hdr' -o '$out' '$url'" >>"$results"
	rm -f "$out"*
	measure curl+sha512sum "curl -sS -f -H @'$WORK/hdr' -o '$out' '$url' && sha512sum '$out' >/dev/null" >>"$results"
	rm -f "$out"*
	measure curl+sync "curl -sS -f -H @'$WORK/hdr' -o '$out' '$url' && sync '$out'" >>"$results"
done
rm -f "$out"*

/usr/bin/python3 - "$results" "$BENCH_SIZE_MIB" "$RUNS" >"$BENCH/results.md" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
assert all(r[3] == "0" for r in rows), "a run failed: " + repr([r for r in rows if r[3] != "0"])
med = {}
for label in dict.fromkeys(r[0] for r in rows):
    med[label] = (statistics.median(float(r[1]) for r in rows if r[0] == label),
                  max(int(r[2]) for r in rows if r[0] == label))
lb = med["lifeboat"][0]
print(f"download of a {sys.argv[2]} MiB image over loopback HTTP, median of {sys.argv[3]} runs\n")
print("| command | seconds | MiB/s | peak RSS | lifeboat ÷ this |")
print("| --- | --- | --- | --- | --- |")
for label, (secs, rss) in med.items():
    print(f"| {label} | {secs:.2f} | {int(sys.argv[2]) / secs:.0f} | {rss / 1024:.1f} MiB | {lb / secs:.2f} |")
PY
cat "$BENCH/results.md"
