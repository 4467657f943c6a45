#!/usr/bin/env bash
# Measures what the daemon costs a Pi's SD card and CPU, for each storage.commit_interval given:
# bytes written to storage per stored reading (/proc/PID/io write_bytes, i.e. pages the daemon
# dirtied, which writeback sends to the block layer), write syscalls (all: files and sockets,
# /proc/PID/io syscw) and those to files of the buffer (write/pwrite64 on the buffer, its WAL
# and its journal, traced), fsyncs (fsync and fdatasync), CPU time per poll and peak RSS.
# Tracing uses strace's seccomp filter, so only the traced calls stop the daemon. Runs the
# release binary against the simulator on loopback, each setting on a new buffer.
#
#   benches/card_writes.sh [SECONDS] [POLL_INTERVAL] [COMMIT_INTERVAL[:4096]…]
#                                        (defaults: 180 s, 1s, then 0s and 60s)
#
# A setting suffixed ":4096" runs on a buffer made with 4 KiB pages, as builds before the
# batched commits made them (a new buffer has 1 KiB pages): the figures of a posted box.
#
# The buffer is put on the disk under target/ (not tmpfs) so that writes reach a block device.
# The meter updates every 0.5 s, so nearly every poll stores a new reading; per-reading and
# per-poll figures do not depend on the rate, fsyncs per hour are given at the measured rate
# and at the shipped one (6 s). Readings are counted as rows committed plus records in the
# journal, so those waiting for their commit count too.
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
command -v strace >/dev/null || apt-get install -y strace

port=$(random_port)
start_sim "$port" "$work/sim.log" --meter-update 500ms
db="$PWD/$work/readings.db"
# Readings taken so far: committed rows plus whole records in the journal (one "seq" each).
readings_now() {
    local rows
    rows=$("$bin" status --config "$work/config.toml" | awk '/readings stored/ {print $3}')
    echo $((rows + $(grep -ao '"seq":' "$db.journal" 2>/dev/null | wc -l)))
}

measure() {
    local commit=${1%:*} pages=""
    [ "$commit" = "$1" ] || pages=${1#*:}
    rm -f "$db" "$db"-wal "$db"-shm "$db".journal
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
    RUST_LOG=warn strace -f --seccomp-bpf -ttt -y -e trace=fsync,fdatasync,write,pwrite64,writev \
        -o "$work/trace.txt" "$bin" run --config "$work/config.toml" 2>"$work/run.log" &
    local strace_pid=$!
    bench_pids+=("$strace_pid")
    sleep 5 # let start-up (schema creation, first device_list) pass
    run_pid=$(pgrep -P "$strace_pid")
    read_io() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$run_pid/io"; }
    local w0 c0 r0 s0 t0 w1 c1 r1 s1 t1 hwm
    w0=$(read_io write_bytes); c0=$(cpu_seconds "$run_pid"); r0=$(readings_now); s0=$(read_io syscw)
    t0=$(date +%s.%N)
    sleep "$seconds"
    t1=$(date +%s.%N)
    w1=$(read_io write_bytes); c1=$(cpu_seconds "$run_pid"); r1=$(readings_now); s1=$(read_io syscw)
    hwm=$(peak_rss_kib "$run_pid")
    kill -TERM "$run_pid"; wait "$strace_pid" || true
    # Lines are "PID EPOCH.USEC call(FD</path>…" ("<… resumed>" halves are not counted).
    local fsyncs file_writes
    fsyncs=$(awk -v a="$t0" -v b="$t1" '$2 >= a && $2 <= b && $3 ~ /^f(data)?sync\(/' \
        "$work/trace.txt" | wc -l)
    file_writes=$(awk -v a="$t0" -v b="$t1" -v db="$db" '$2 >= a && $2 <= b &&
        $3 ~ /^(write|pwrite64|writev)\(/ && index($3, "<" db)' "$work/trace.txt" | wc -l)
    local interval_s=${interval%s} polls readings
    polls=$(awk -v s="$seconds" -v i="$interval_s" 'BEGIN {print int(s / i)}')
    readings=$((r1 - r0))
    awk -v w=$((w1 - w0)) -v r=$readings -v c="$(awk -v a="$c0" -v b="$c1" 'BEGIN {print b - a}')" \
        -v p="$polls" -v hwm="$hwm" -v sc=$((s1 - s0)) -v fw="$file_writes" -v secs="$seconds" \
        -v f="$fsyncs" -v commit="$commit" -v poll="$interval" -v pages="${pages:-1024}" 'BEGIN {
  printf "commit_interval %s, poll_interval %s, %d-byte pages\n", commit, poll, pages
  printf "  window            %d s, %d polls, %d new readings taken\n", secs, p, r
  printf "  bytes written     %d (%.0f bytes per reading)\n", w, w / r
  printf "  write syscalls    %d (%.1f per reading), %d to the buffer files (%.2f per reading)\n", sc, sc / r, fw, fw / r
  printf "  fsyncs            %d (%.2f per reading; %.0f per hour at this rate, %.0f at one reading per 6 s)\n", f, f / r, 3600 * f / secs, 600 * f / r
  printf "  CPU               %.2f s (%.2f ms per poll)\n", c, 1000 * c / p
  printf "  peak RSS          %.1f MiB\n", hwm / 1024
}'
}

for commit in "${commits[@]}"; do
    measure "$commit"
done
