#!/usr/bin/env bash
# native.sh - the native reader against the appliance reader and guestfish
# copy-out on the bench tree (extract.sh's: FILES small files and one BIG_MIB
# file), medians of RUNS, the page cache dropped before each run where this
# machine lets us; the first byte of a cat; the whole process tree's RSS;
# and the same tree in a 20 GiB image. Appends to build/bench/results.md.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
: "${LIFEBOAT_BIN:=$TOP/build/release}"
: "${RUNS:=3}"
: "${FILES:=5000}"
: "${BIG_MIB:=200}"
: "${BIG_IMAGE_GIB:=20}"
export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
BENCH=$TOP/build/bench
mkdir -p "$BENCH"
WORK=$(mktemp -d "$BENCH/native.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# shellcheck source=../images/appliance-lock.sh
. "$TOP/tests/images/appliance-lock.sh"
X=$LIFEBOAT_BIN/lifeboat-extract

echo "bench: building the tree ($FILES files and one ${BIG_MIB} MiB file), a qcow2 and a ${BIG_IMAGE_GIB} GiB qcow2"
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
mke2fs -q -F -t ext4 -d "$WORK/tree" "$WORK/big.raw" "${BIG_IMAGE_GIB}G" >/dev/null
qemu-img convert -O qcow2 "$WORK/big.raw" "$WORK/big.qcow2"
rm -rf "$WORK/tree" "$WORK/disk.raw" "$WORK/big.raw"
img=$WORK/disk.qcow2

cold() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true; }
cache=warm
if (echo 3 >/proc/sys/vm/drop_caches) 2>/dev/null; then cache=cold; fi
measure() { /usr/bin/python3 "$TOP/tests/bench/tree_rss.py" "$@"; }
results=$WORK/results
firsts=$WORK/firsts
: >"$results"
: >"$firsts"
for i in $(seq "$RUNS"); do
	for what in native big; do
		rm -rf "$WORK/out" && mkdir "$WORK/out" && cold
		src=$img
		[ $what = big ] && src=$WORK/big.qcow2
		measure "native-$what" "'$X' --reader=native copy '$src' /var/lib/chat '$WORK/out' --manifest '$WORK/m' --no-progress 2>/dev/null" >>"$results"
	done
	cold
	/usr/bin/python3 "$TOP/tests/bench/first_byte.py" "$X" --reader=native cat "$img" /var/lib/chat/big.bin >>"$firsts"
	rm -rf "$WORK/out" && mkdir "$WORK/out" && cold
	# the lock is taken before the clock starts: waiting for it is no cost of a reader
	with_appliance_lock /usr/bin/python3 "$TOP/tests/bench/tree_rss.py" appliance "'$X' --reader=appliance copy '$img' /var/lib/chat '$WORK/out' --manifest '$WORK/m' --no-progress 2>/dev/null" >>"$results"
	rm -rf "$WORK/out" && mkdir "$WORK/out" && cold
	with_appliance_lock /usr/bin/python3 "$TOP/tests/bench/tree_rss.py" guestfish-copy-out "guestfish --ro --format=qcow2 -a '$img' -m /dev/sda copy-out /var/lib/chat '$WORK/out'" >>"$results"
done
rm -rf "$WORK/out"

/usr/bin/python3 - "$results" "$firsts" "$RUNS" "$FILES" "$BIG_MIB" "$BIG_IMAGE_GIB" "$cache" >>"$BENCH/results.md" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
assert all(r[3] == "0" for r in rows), "a run failed: %r" % [r for r in rows if r[3] != "0"]
firsts = [float(l) for l in open(sys.argv[2])]
runs, files, big, gib, cache = sys.argv[3:8]
med = {l: statistics.median(float(r[1]) for r in rows if r[0] == l) for l in dict.fromkeys(r[0] for r in rows)}
rss = {l: max(int(r[2]) for r in rows if r[0] == l) for l in med}
gf = med["guestfish-copy-out"]
print(f"\nnative reader: copy of /var/lib/chat ({files} files of 2-60 KB and one {big} MiB file) "
      f"out of a qcow2, {cache} page cache, median of {runs} runs, with --manifest; "
      f"peak RSS summed over the whole process tree\n")
print("| command | seconds | ÷ guestfish copy-out | peak tree RSS MiB |")
print("| --- | --- | --- | --- |")
names = {"native-native": "native reader", "native-big": f"native reader, {gib} GiB image",
         "appliance": "appliance reader", "guestfish-copy-out": "guestfish copy-out"}
for label, secs in med.items():
    print(f"| {names.get(label, label)} | {secs:.2f} | {secs / gf:.3f} | {rss[label] / 1024:.1f} |")
print(f"\nfirst byte of `cat` (native, {cache}): median {statistics.median(firsts):.3f} s")
PY
tail -12 "$BENCH/results.md"
