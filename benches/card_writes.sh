#!/usr/bin/env bash
# Measures what the daemon costs a Pi's SD card and CPU, for each storage.commit_interval given:
# bytes that reach the block device per stored reading, write syscalls (all: files and
# sockets, /proc/PID/io syscw) and those to files of the buffer (write/pwrite64 on the buffer,
# its WAL and its journal, traced), fsyncs (fsync and fdatasync), CPU time per poll and peak
# RSS. Tracing uses strace's seccomp filter, so only the traced calls stop the daemon. Runs the
# binary (BENCH_PROFILE, release by default) against the simulator on loopback, each setting on
# a new buffer.
#
#   benches/card_writes.sh [SECONDS] [POLL_INTERVAL] [COMMIT_INTERVAL[:4096]…]
#                                        (defaults: 180 s, 1s, then 0s and 60s)
#   BREAKDOWN=1 benches/card_writes.sh …    also says which file the bytes were written for
#   BENCH_BIN=path benches/card_writes.sh … measures that build of the logger instead
#   WARMUP=300 benches/card_writes.sh …      starts the window 300 s after the daemon (default
#                                           5 s), once the WAL has reached its working size
#   JOURNAL_ON_CARD=1 benches/card_writes.sh …  keeps the readings journal beside the buffer, on
#                                           the card (storage.journal_dir unset), instead of on
#                                           a tmpfs as the shipped config has it (/run)
#
# A setting suffixed ":4096" runs on a buffer made with 4 KiB pages, as builds before the
# batched commits made them (a new buffer has 1 KiB pages): the figures of a posted box.
#
# The card is an ext4 file system on a loop device, mounted as the SD image mounts its root
# (noatime,commit=600), with the kernel's writeback as it is (vm.dirty_expire_centisecs, 30 s by
# default as on Raspberry Pi OS). "Bytes to the card" are the sectors written to that device
# (/sys/block/loopN/stat) over the window: file data, the file system's own journal and its
# metadata, everything the card would see; the window starts and ends with a sync of that file
# system, so it counts what the window's writes cost, each page once it is written back.
# "Pages dirtied" is /proc/PID/io write_bytes (4 KiB per page the daemon dirtied).
# BREAKDOWN=1 adds, from the kernel's trace events (a tracefs instance of its own), the pages
# ext4 wrote back per file and the blocks its journal logged; the rest is metadata written in
# place. The meter updates every 0.5 s, so nearly every poll stores a new reading; per-reading
# and per-poll figures do not depend on the rate, fsyncs per hour are given at the measured rate
# and at the shipped one (6 s). Readings are counted by their seqs, committed or journaled, so
# those waiting for their commit count too.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-180}
interval=${2:-1s}
shift $(($# < 2 ? $# : 2))
commits=("$@")
[ ${#commits[@]} -gt 0 ] || commits=(0s 60s)
# shellcheck source=benches/lib.sh
source benches/lib.sh
bench_setup
# BENCH_BIN=path measures another build of the logger (e.g. one from before a change).
bin=${BENCH_BIN:-$bin}
command -v strace >/dev/null || apt-get install -y strace

# The card: an ext4 file system in a file under target/, on a loop device, mounted as the
# image mounts its root.
card="$work/card"
mount_card "$work/card.img" "$card" "${CARD_MOUNT:-}"
# The readings journal: on a tmpfs, as the shipped config puts it on /run
# (storage.journal_dir), unless JOURNAL_ON_CARD=1 keeps it beside the buffer.
run_dir="$work/run"
mkdir -p "$run_dir"
if [ "${JOURNAL_ON_CARD:-0}" = 1 ]; then
    journal_dir="" journal="$PWD/$card/readings.db.journal"
else
    mount -t tmpfs -o size=16M,mode=0700 tmpfs "$run_dir"
    bench_mounts+=("$run_dir")
    journal_dir="$PWD/$run_dir" journal="$PWD/$run_dir/readings.db.journal"
fi
loop_major=$((0x$(stat -c %t "$loop"))) loop_minor=$((0x$(stat -c %T "$loop")))

port=$(random_port)
start_sim "$port" "$work/sim.log" --meter-update 500ms
db="$PWD/$card/readings.db"
# Readings taken so far: the highest seq given, committed or journaled (seqs are given one
# by one as readings are journaled), found apart from the binary measured so that builds
# compare. The journal is read as the logger reads it (src/store/journal.rs): records of
# `length u32 LE | first 4 bytes of the payload's SHA-256 | payload`, the payload compact (tag
# byte 1, then seq as i64 LE) or JSON (first byte "{"); reading stops at a record that fails
# its check or whose seq does not follow on, where older records not yet written over begin.
readings_now() {
    python3 -c 'import hashlib, json, sqlite3, struct, sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
high = c.execute("SELECT coalesce(max(seq), 0) FROM readings").fetchone()[0]
try:
    data = open(sys.argv[2], "rb").read()
except FileNotFoundError:
    data = b""
at, last = 0, None
while at + 8 <= len(data):
    (size,) = struct.unpack_from("<I", data, at)
    payload = data[at + 8:at + 8 + size]
    if size == 0 or len(payload) < size or hashlib.sha256(payload).digest()[:4] != data[at + 4:at + 8]:
        break
    seq = struct.unpack_from("<q", payload, 1)[0] if payload[0] == 1 else json.loads(payload)["seq"]
    if last is not None and seq != last + 1:
        break
    last, at = seq, at + 8 + size
print(max(high, last or 0))' "$db" "$journal"
}

# BREAKDOWN=1: a tracefs instance of this bench's own, recording ext4's writeback per inode and
# its journal's commits, on the card's device only.
tracing=""
if [ "${BREAKDOWN:-0}" = 1 ]; then
    # A mount of its own (not one found in /proc/mounts): benches running side by side then
    # never unmount, or hold busy, another's.
    tracefs="$work/tracefs"
    mkdir -p "$tracefs"
    mount -t tracefs nodev "$tracefs"
    bench_mounts+=("$tracefs")
    tracing="$tracefs/instances/card_writes.$$"
    mkdir "$tracing"
    trap 'rmdir "$tracing" 2>/dev/null; bench_cleanup' EXIT
    for event in ext4/ext4_writepages_result jbd2/jbd2_run_stats; do
        echo "dev == $(((loop_major << 20) | loop_minor))" >"$tracing/events/$event/filter"
        echo 1 >"$tracing/events/$event/enable"
    done
fi

# breakdown READINGS NAMES: the traced writeback per file ("INODE NAME" lines) and the journal.
breakdown() {
    awk -v r="$1" -v names="$2" '
BEGIN { n = split(names, l, "\n"); for (i = 1; i <= n; i++) { split(l[i], f, " "); name[f[1]] = f[2] } }
/ext4_writepages_result/ { for (i = 1; i <= NF; i++) { if ($i == "ino") ino = $(i + 1); if ($i == "pages_written") pages[ino] += $(i + 1) } }
/jbd2_run_stats/ { for (i = 1; i <= NF; i++) if ($i == "blocks_logged") logged += $(i + 1); commits++ }
END {
  for (ino in pages) if (pages[ino] > 0)
    printf "    %-22s %7d bytes (%.0f per reading)\n", (ino in name ? name[ino] : "inode " ino), 4096 * pages[ino], 4096 * pages[ino] / r
  printf "    %-22s %7d bytes (%.0f per reading) in %d commits\n", "ext4 journal", 4096 * logged, 4096 * logged / r, commits
}' "$tracing/trace"
}

measure() {
    local commit=${1%:*} pages=""
    [ "$commit" = "$1" ] || pages=${1#*:}
    rm -f "$db" "$db"-wal "$db"-shm "$journal"
    if [ -n "$pages" ]; then
        # An empty SQLite database with that page size, which the daemon claims as a new buffer.
        python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA page_size = %d" % int(sys.argv[2]))
c.execute("CREATE TABLE t (x)")
c.execute("DROP TABLE t")
c.commit()' "$db" "$pages"
    fi
    write_config "$work/config.toml" "$port" "$interval" "$commit"
    # (No journal_dir line on the card: a build from before the key, BENCH_BIN, reads it too.)
    sed -i "s|^path = .*|path = \"$db\"${journal_dir:+\\njournal_dir = \"$journal_dir\"}|" "$work/config.toml"
    RUST_LOG=warn strace -f --seccomp-bpf -ttt -y -e trace=fsync,fdatasync,write,pwrite64,writev \
        -o "$work/trace.txt" "$bin" run --config "$work/config.toml" 2>"$work/run.log" &
    local strace_pid=$!
    bench_pids+=("$strace_pid")
    sleep "${WARMUP:-5}" # let start-up (schema creation, first device_list) pass
    run_pid=$(pgrep -P "$strace_pid")
    read_io() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$run_pid/io"; }
    local w0 c0 r0 s0 t0 b0 w1 c1 r1 s1 t1 b1 hwm
    sync -f "$card"
    [ -z "$tracing" ] || { : >"$tracing/trace"; echo 1 >"$tracing/tracing_on"; }
    b0=$(sectors_written "${loop#/dev/}")
    w0=$(read_io write_bytes); c0=$(cpu_seconds "$run_pid"); r0=$(readings_now); s0=$(read_io syscw)
    t0=$(date +%s.%N)
    sleep "$seconds"
    t1=$(date +%s.%N)
    w1=$(read_io write_bytes); c1=$(cpu_seconds "$run_pid"); r1=$(readings_now); s1=$(read_io syscw)
    sync -f "$card"
    b1=$(sectors_written "${loop#/dev/}")
    hwm=$(peak_rss_kib "$run_pid")
    local names=""
    if [ -n "$tracing" ]; then
        echo 0 >"$tracing/tracing_on"
        names=$(find "$card" -maxdepth 1 -type f -printf '%i %f\n')
    fi
    kill -TERM "$run_pid"; wait "$strace_pid" || true
    # Lines are "PID EPOCH.USEC call(FD</path>…" ("<… resumed>" halves are not counted).
    local fsyncs file_writes
    fsyncs=$(awk -v a="$t0" -v b="$t1" '$2 >= a && $2 <= b && $3 ~ /^f(data)?sync\(/' \
        "$work/trace.txt" | wc -l)
    file_writes=$(awk -v a="$t0" -v b="$t1" -v db="$db" -v j="$journal" '$2 >= a && $2 <= b &&
        $3 ~ /^(write|pwrite64|writev)\(/ && (index($3, "<" db) || index($3, "<" j))' \
        "$work/trace.txt" | wc -l)
    local interval_s=${interval%s} polls readings
    polls=$(awk -v s="$seconds" -v i="$interval_s" 'BEGIN {print int(s / i)}')
    readings=$((r1 - r0))
    awk -v b=$(((b1 - b0) * 512)) -v w=$((w1 - w0)) -v r=$readings \
        -v c="$(awk -v a="$c0" -v b="$c1" 'BEGIN {print b - a}')" \
        -v p="$polls" -v hwm="$hwm" -v sc=$((s1 - s0)) -v fw="$file_writes" -v secs="$seconds" \
        -v f="$fsyncs" -v commit="$commit" -v poll="$interval" -v pages="${pages:-1024}" \
        -v journal="$([ -n "$journal_dir" ] && echo "on a tmpfs" || echo "on the card")" 'BEGIN {
  printf "commit_interval %s, poll_interval %s, %d-byte pages, journal %s\n", commit, poll, pages, journal
  printf "  window            %d s, %d polls, %d new readings taken\n", secs, p, r
  printf "  bytes to the card %d (%.0f bytes per reading)\n", b, b / r
  printf "  pages dirtied     %d bytes (%.0f per reading)\n", w, w / r
  printf "  write syscalls    %d (%.1f per reading), %d to the buffer files (%.2f per reading)\n", sc, sc / r, fw, fw / r
  printf "  fsyncs            %d (%.2f per reading; %.0f per hour at this rate, %.0f at one reading per 6 s)\n", f, f / r, 3600 * f / secs, 600 * f / r
  printf "  CPU               %.2f s (%.2f ms per poll)\n", c, 1000 * c / p
  printf "  peak RSS          %.1f MiB\n", hwm / 1024
}'
    if [ -n "$tracing" ]; then
        echo "  written back, by file:"
        breakdown "$readings" "$names"
    fi
}

for commit in "${commits[@]}"; do
    measure "$commit"
done
