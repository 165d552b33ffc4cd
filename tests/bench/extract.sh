#!/usr/bin/env bash
# extract.sh - lifeboat-extract copy against what virt-copy-out and
# virt-tar-out run (guestfish copy-out, and tar-out | tar -x; the virt-*
# wrappers insist on an OS to inspect, and this image is a data disk), on
# one image, all under the same backend, in the same run; medians of
# RUNS. Appends to build/bench/results.md.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
: "${LIFEBOAT_BIN:=$TOP/build/release}"
: "${RUNS:=3}"
: "${FILES:=5000}"
: "${BIG_MIB:=200}"
export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
BENCH=$TOP/build/bench
mkdir -p "$BENCH"
WORK=$(mktemp -d "$BENCH/extract.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

echo "bench: building an image with $FILES small files and one ${BIG_MIB} MiB file"
/usr/bin/python3 - "$WORK/tree/var/lib/chat" "$FILES" "$BIG_MIB" <<'PY'
import os, random, sys
root, n, big = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(42)
for i in range(n):
    d = os.path.join(root, "d%03d" % (i % 100))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%05d" % i), "wb") as f:
        f.write(os.urandom(rnd.randint(2048, 61440)))
with open(os.path.join(root, "big.bin"), "wb") as f:
    for _ in range(big):
        f.write(os.urandom(1 << 20))
PY
size_mib=$(( $(du -sm "$WORK/tree" | cut -f1) + 400 ))
mke2fs -q -F -t ext4 -d "$WORK/tree" "$WORK/disk.raw" "${size_mib}M" >/dev/null
qemu-img convert -O qcow2 "$WORK/disk.raw" "$WORK/disk.qcow2"
rm -rf "$WORK/tree" "$WORK/disk.raw"
img=$WORK/disk.qcow2

measure() { /usr/bin/python3 "$TOP/tests/bench/measure.py" "$@"; }
results=$WORK/results
: >"$results"
for i in $(seq "$RUNS"); do
	rm -rf "$WORK/out" && mkdir "$WORK/out"
	measure lifeboat-extract "'$LIFEBOAT_BIN/lifeboat-extract' copy '$img' /var/lib/chat '$WORK/out' --manifest '$WORK/m' --no-progress 2>/dev/null" >>"$results"
	rm -rf "$WORK/out" && mkdir "$WORK/out"
	measure "guestfish-copy-out" "guestfish --ro --format=qcow2 -a '$img' -m /dev/sda copy-out /var/lib/chat '$WORK/out'" >>"$results"
	rm -rf "$WORK/out" && mkdir "$WORK/out"
	measure "guestfish-tar-out|tar" "guestfish --ro --format=qcow2 -a '$img' -m /dev/sda tar-out /var/lib/chat - | tar -x -C '$WORK/out'" >>"$results"
done
rm -rf "$WORK/out"

/usr/bin/python3 - "$results" "$RUNS" "$FILES" "$BIG_MIB" "$LIBGUESTFS_BACKEND_SETTINGS" >>"$BENCH/results.md" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
assert all(r[3] == "0" for r in rows), "a run failed: %r" % [r for r in rows if r[3] != "0"]
med = {}
for label in dict.fromkeys(r[0] for r in rows):
    med[label] = statistics.median(float(r[1]) for r in rows if r[0] == label)
lb = med["lifeboat-extract"]
print(f"\ncopy of /var/lib/chat ({sys.argv[3]} files of 2-60 KB and one {sys.argv[4]} MiB file) "
      f"out of a qcow2, backend settings '{sys.argv[5]}', median of {sys.argv[2]} runs, "
      f"lifeboat with --manifest\n")
print("| command | seconds | lifeboat ÷ this |")
print("| --- | --- | --- |")
for label, secs in med.items():
    print(f"| {label} | {secs:.1f} | {lb / secs:.2f} |")
PY
tail -7 "$BENCH/results.md"
