#!/usr/bin/env bash
# Measures what the daemon costs a Pi's SD card and CPU: bytes written to storage per stored
# reading (/proc/PID/io write_bytes, i.e. what reached the block layer), fsyncs (fsync and
# fdatasync calls, traced with strace's seccomp filter so only those calls stop the daemon),
# CPU time per poll and peak RSS. Runs the release binary against the simulator on loopback.
#
#   benches/card_writes.sh [SECONDS] [POLL_INTERVAL]     (defaults: 180 s, 1s)
#
# The buffer is put on the disk under target/ (not tmpfs) so that writes reach a block device.
# The meter updates every 0.5 s, so nearly every poll stores a new reading; per-reading and
# per-poll figures do not depend on the rate, fsyncs per hour are given at the measured rate
# and at the shipped one (6 s).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-180}
interval=${2:-1s}
# shellcheck source=benches/lib.sh
source benches/lib.sh
bench_setup
command -v strace >/dev/null || apt-get install -y strace

port=$(random_port)
start_sim "$port" "$work/sim.log" --meter-update 500ms
write_config "$work/config.toml" "$port" "$interval"
RUST_LOG=warn strace -f --seccomp-bpf -ttt -e trace=fsync,fdatasync -o "$work/fsyncs.txt" \
    "$bin" run --config "$work/config.toml" 2>"$work/run.log" &
strace_pid=$!
bench_pids+=("$strace_pid")
sleep 5 # let start-up (schema creation, first device_list) pass
run_pid=$(pgrep -P "$strace_pid")
read_io() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$run_pid/io"; }
rows() { "$bin" status --config "$work/config.toml" | awk '/readings stored/ {print $3}'; }
w0=$(read_io write_bytes); c0=$(cpu_seconds "$run_pid"); r0=$(rows); s0=$(read_io syscw)
t0=$(date +%s.%N)
sleep "$seconds"
sync
t1=$(date +%s.%N)
w1=$(read_io write_bytes); c1=$(cpu_seconds "$run_pid"); r1=$(rows); s1=$(read_io syscw)
hwm=$(peak_rss_kib "$run_pid")
kill -TERM "$run_pid"; wait "$strace_pid" || true
# Lines are "PID EPOCH.USEC fsync(…" (or "<… resumed>" halves of the same call, not counted).
fsyncs=$(awk -v a="$t0" -v b="$t1" '$2 >= a && $2 <= b && $3 ~ /^f(data)?sync\(/' \
    "$work/fsyncs.txt" | wc -l)
interval_s=${interval%s}
polls=$(awk -v s="$seconds" -v i="$interval_s" 'BEGIN {print int(s / i)}')
readings=$((r1 - r0))
awk -v w=$((w1 - w0)) -v r=$readings -v c="$(awk -v a="$c0" -v b="$c1" 'BEGIN {print b - a}')" \
    -v p="$polls" -v hwm="$hwm" -v sc=$((s1 - s0)) -v secs="$seconds" -v f="$fsyncs" 'BEGIN {
  printf "window            %d s, %d polls, %d new readings stored\n", secs, p, r
  printf "bytes written     %d (%.0f bytes per reading)\n", w, w / r
  printf "write syscalls    %d (%.1f per reading)\n", sc, sc / r
  printf "fsyncs            %d (%.2f per reading; %.0f per hour at this rate, %.0f at one reading per 6 s)\n", f, f / r, 3600 * f / secs, 600 * f / r
  printf "CPU               %.2f s (%.2f ms per poll)\n", c, 1000 * c / p
  printf "peak RSS          %.1f MiB\n", hwm / 1024
}'
