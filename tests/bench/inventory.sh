#!/usr/bin/env bash
# inventory.sh - lifeboat-extract inventory, with the native reader and with the
# appliance, against virt-inspector on the same OS image (a Debian root built
# from this machine's required and important packages, with their real dpkg
# database, and FILES data files), all in the same run; medians of RUNS.
# Appends to build/bench/results.md.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
: "${LIFEBOAT_BIN:=$TOP/build/release}"
: "${RUNS:=3}"
: "${FILES:=7000}"
export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
BENCH=$TOP/build/bench
mkdir -p "$BENCH"
WORK=$(mktemp -d "$BENCH/inventory.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

echo "bench: building a Debian root from this machine's packages, with $FILES data files"
/usr/bin/python3 "$TOP/tests/bench/inventory-os.py" "$WORK/tree" "$FILES"
entries=$(find "$WORK/tree" | wc -l)
size_mib=$(( $(du -sm "$WORK/tree" | cut -f1) * 3 / 2 + 64 ))
mke2fs -q -F -t ext4 -L root -d "$WORK/tree" "$WORK/disk.raw" "${size_mib}M" >/dev/null
rm -rf "$WORK/tree"
img=$WORK/disk.raw

measure() { /usr/bin/python3 "$TOP/tests/bench/measure.py" "$@"; }
results=$WORK/results
: >"$results"
x=$LIFEBOAT_BIN/lifeboat-extract
for i in $(seq "$RUNS"); do
	measure inventory-native "'$x' inventory '$img' --json --reader native >'$WORK/native.json'" >>"$results"
	measure inventory-appliance "'$x' inventory '$img' --json --reader appliance >'$WORK/appliance.json'" >>"$results"
	measure virt-inspector "virt-inspector --format=raw -a '$img' >'$WORK/inspector.xml'" >>"$results"
done
# the two readers must agree on everything but their names
/usr/bin/python3 - "$WORK/native.json" "$WORK/appliance.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
a.pop("reader"), b.pop("reader")
assert a == b, "the native and appliance inventories differ"
PY

/usr/bin/python3 - "$results" "$RUNS" "$entries" "$size_mib" "$WORK/native.json" \
	"$LIBGUESTFS_BACKEND_SETTINGS" >>"$BENCH/results.md" <<'PY'
import json, statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
assert all(r[3] == "0" for r in rows), "a run failed: %r" % [r for r in rows if r[3] != "0"]
med = {}
for label in dict.fromkeys(r[0] for r in rows):
    med[label] = (statistics.median(float(r[1]) for r in rows if r[0] == label),
                  max(int(r[2]) for r in rows if r[0] == label))
doc = json.load(open(sys.argv[5]))
vi = med["virt-inspector"][0]
print(f"\ninventory of a Debian root ({doc['packages']} dpkg packages, {sys.argv[3]} entries, "
      f"{len(doc['roots'])} data roots) in a {sys.argv[4]} MiB raw image, backend settings "
      f"'{sys.argv[6]}', median of {sys.argv[2]} runs\n")
print("| command | seconds | peak RSS MiB | this ÷ virt-inspector |")
print("| --- | --- | --- | --- |")
for label, (secs, rss) in med.items():
    print(f"| {label} | {secs:.2f} | {rss / 1024:.0f} | {secs / vi:.3f} |")
PY
tail -8 "$BENCH/results.md"
