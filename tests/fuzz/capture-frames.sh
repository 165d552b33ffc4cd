#!/bin/bash
# capture-frames.sh BINDIR - seeds for the frame target from real runs: the
# stream the native reader's sandboxed child writes (strace records its
# writes to the pipe) for a copy, an ls and a copy that meets refused
# names. Each seed is a mode byte (bit 0: data wanted) and the stream.
# Run by hand; what it leaves in tests/fuzz/corpus/frame is committed.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
X=${1:-$TOP/build/release}/lifeboat-extract
C=$TOP/tests/fuzz/corpus/frame
WORK=$(mktemp -d /tmp/lifeboat-capture.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$C" "$WORK/tree/d"
echo hello >"$WORK/tree/d/f.txt"
ln -s d/f.txt "$WORK/tree/sym"
ln "$WORK/tree/d/f.txt" "$WORK/tree/hard"
setfattr -n user.k -v value "$WORK/tree/d/f.txt" 2>/dev/null || true
printf 'x%.0s' $(seq 300) >"$WORK/tree/d/g"
mkfifo "$WORK/tree/fifo"
mke2fs -q -F -t ext4 -d "$WORK/tree" "$WORK/fs.raw" 4M
"$TOP/tests/images/impossible-names.sh" "$WORK/imp.raw"

# capture NAME MODE ARGS...: the child's frames of one run
capture() {
	local name=$1 mode=$2
	shift 2
	rm -rf "$WORK/log" "$WORK/dest" && mkdir "$WORK/log"
	strace -ff -qq -e trace=write,writev -e write=all -o "$WORK/log/s" "$X" --reader=native "$@" \
		>/dev/null 2>&1 || true
	local main child
	main=$(ls "$WORK/log" | sort -t. -k2 -n | head -1)
	for child in "$WORK"/log/s.*; do
		[ "$child" = "$WORK/log/$main" ] && continue
		grep -q 'lifeboat-sandbox' "$child" || continue
		printf "\\x$mode" >"$C/$name"
		/usr/bin/python3 -c '
import re, sys
out = bytearray()
for line in open(sys.argv[1]):
    m = re.match(r" \| [0-9a-f]{5}  (.{49})", line)   # 16 bytes of hex, then the text
    if m:
        out += bytes.fromhex("".join(m.group(1).split()))
sys.stdout.buffer.write(out)' "$child" >>"$C/$name"
	done
}
capture copy.bin 01 copy "$WORK/fs.raw" / "$WORK/dest" --no-progress
capture ls.bin 01 ls -l "$WORK/fs.raw" /d
capture refused.bin 01 copy "$WORK/imp.raw" /data "$WORK/dest" --no-progress
ls -l "$C"
