#!/usr/bin/env bash
# Measures what the daemon costs a Pi's SD card and CPU: bytes written to storage per stored
# reading (/proc/PID/io write_bytes, i.e. what reached the block layer), fsyncs implied, CPU
# time per poll and peak RSS. Runs the release binary against the simulator on loopback.
#
#   benches/card_writes.sh [SECONDS] [POLL_INTERVAL]     (defaults: 180 s, 1s)
#
# The buffer is put on the disk under target/ (not tmpfs) so that writes reach a block device.
# Polling is sped up to 1 s with a meter that updates every 0.5 s, so nearly every poll stores a
# new reading; per-reading and per-poll figures do not depend on the rate.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-180}
interval=${2:-1s}
cargo build --release --quiet
bin=target/release/rainforest-logger
work=$(mktemp -d -p target bench.XXXXXX)
trap 'kill $sim_pid $run_pid 2>/dev/null || true; rm -rf "$work"' EXIT
port=$((20000 + RANDOM % 20000))

"$bin" simulate --listen 127.0.0.1:$port --meter-update 500ms >"$work/sim.log" 2>&1 &
sim_pid=$!
cat >"$work/config.toml" <<TOML
[household]
id = "bench"
[eagle]
host = "http://127.0.0.1:$port"
cloud_id = "0123ab"
install_code = "0123456789abcdef"
poll_interval = "$interval"
[storage]
path = "$PWD/$work/readings.db"
[s3]
endpoint = "file://$PWD/$work/bucket"
[led]
backend = "none"
[clock]
require_sync = false
TOML
sleep 0.5
RUST_LOG=warn "$bin" run --config "$work/config.toml" 2>"$work/run.log" &
run_pid=$!
sleep 5 # let start-up (schema creation, first device_list) pass
read_io() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$run_pid/io"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$run_pid/stat"; }
rows() { "$bin" status --config "$work/config.toml" | awk '/readings stored/ {print $3}'; }
w0=$(read_io write_bytes); c0=$(cpu_ticks); r0=$(rows); s0=$(read_io syscw)
sleep "$seconds"
sync
w1=$(read_io write_bytes); c1=$(cpu_ticks); r1=$(rows); s1=$(read_io syscw)
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$run_pid/status")
kill -TERM $run_pid; wait $run_pid || true
hz=$(getconf CLK_TCK)
interval_s=$(echo "$interval" | sed 's/s$//')
polls=$(awk -v s="$seconds" -v i="$interval_s" 'BEGIN {print int(s / i)}')
readings=$((r1 - r0))
awk -v w=$((w1 - w0)) -v r=$readings -v c=$((c1 - c0)) -v hz="$hz" -v p="$polls" -v hwm="$hwm" \
    -v sc=$((s1 - s0)) -v secs="$seconds" 'BEGIN {
  printf "window            %d s, %d polls, %d new readings stored\n", secs, p, r
  printf "bytes written     %d (%.0f bytes per reading)\n", w, w / r
  printf "write syscalls    %d (%.1f per reading)\n", sc, sc / r
  printf "CPU               %.2f s (%.2f ms per poll)\n", c / hz, 1000 * c / hz / p
  printf "peak RSS          %.1f MiB\n", hwm / 1024
}'
