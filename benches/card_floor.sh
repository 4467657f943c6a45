#!/usr/bin/env bash
# What the card pays, at least, for readings made durable once per window, whatever keeps them:
# a file written by benches/support/window_writer.py in three ways (in place in a file written
# full beforehand, appended to a growing file, each record written as it is taken), each on a
# card of its own mounted as the SD image mounts its root, all at the same time. No SQLite: it
# is the floor a design built on such a file would start from (docs/benchmarks.md, "The
# floor"), to set against benches/card_writes.sh's figures for the logger itself.
#
#   benches/card_floor.sh [SECONDS] [POLL_S] [WINDOW_S] [RECORD_BYTES]
#                                       (defaults: 300, 6, 60, 340: a readings-journal record)
#   CARD_MOUNT=noatime,lazytime,commit=60 benches/card_floor.sh …   another mount
#
# Bytes to the card are the sectors written to each loop device over the window, which starts
# once the file is written and synced and ends with a sync of the file system; ext4 journal
# commits are those /proc/fs/jbd2 counted on the device in the same span.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300} poll=${2:-6} window=${3:-60} record=${4:-340}
# shellcheck source=benches/lib.sh
source benches/lib.sh
bench_work_dir

jbd2_commits() { awk 'NR == 1 {print $1}' "/proc/fs/jbd2/$1-8/info"; }
patterns=(in-place append per-record)
declare -A dev b0 j0
for p in "${patterns[@]}"; do
    mount_card "$work/$p.img" "$work/$p" "${CARD_MOUNT:-}"
    dev[$p]=${loop#/dev/}
    python3 benches/support/window_writer.py "$p" "$work/$p/window" "$seconds" "$poll" "$window" \
        "$record" "$work/$p.ready" >"$work/$p.taken" &
    bench_pids+=($!)
done
for p in "${patterns[@]}"; do
    until [ -e "$work/$p.ready" ]; do sleep 0.1; done
    sync -f "$work/$p"
    b0[$p]=$(sectors_written "${dev[$p]}") j0[$p]=$(jbd2_commits "${dev[$p]}")
done
wait "${bench_pids[@]}"
printf 'window %s s, a %s-byte record every %s s, durable every %s s, mount %s\n' "$seconds" \
    "$record" "$poll" "$window" "${CARD_MOUNT:-noatime,commit=600}"
printf '%-11s %8s %12s %16s %19s\n' pattern records "bytes (card)" "bytes per record" \
    "ext4 journal commits"
for p in "${patterns[@]}"; do
    sync -f "$work/$p"
    bytes=$((($(sectors_written "${dev[$p]}") - b0[$p]) * 512))
    records=$(cat "$work/$p.taken")
    printf '%-11s %8d %12d %16.0f %19d\n' "$p" "$records" "$bytes" \
        "$(awk -v b="$bytes" -v r="$records" 'BEGIN {print b / r}')" \
        $(($(jbd2_commits "${dev[$p]}") - j0[$p]))
done
