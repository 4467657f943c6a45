#!/usr/bin/env bash
# What the household page costs: the logger's resident memory with no viewer, then with the
# most live viewers it serves at once (rainforest_logger::web::MAX_STREAMS, 5), each a
# `curl -N /events` stream receiving every new reading; and that one more viewer is refused
# with 503. Runs `run` against the simulator on loopback, one new reading a second.
#
#   benches/web_clients.sh [SECONDS]        (default 60: each phase lasts this long)
#   BENCH_PROFILE=debug benches/web_clients.sh 60
#
# The first phase (no viewer) is the baseline drift over the same time, so the increase with
# viewers is told apart from the logger's own slow growth (SQLite's page cache filling).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
viewers=5
# shellcheck source=benches/lib.sh
source benches/lib.sh
bench_setup

sim_port=$(random_port)
page_port=$(random_port)
start_sim "$sim_port" "$work/sim.log" --meter-update 500ms
write_config "$work/config.toml" "$sim_port" 1s
printf '[web]\nenable = true\nlisten = "127.0.0.1:%s"\n' "$page_port" >>"$work/config.toml"
RUST_LOG=warn "$bin" run --config "$work/config.toml" 2>"$work/run.log" &
run_pid=$!
bench_pids+=("$run_pid")
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$run_pid/status"; }
sleep 10 # start-up: schema, first device_list, the page's first look at the buffer
curl -sf -o /dev/null "http://127.0.0.1:$page_port/"
before=$(rss_kib)
sleep "$seconds"
idle=$(rss_kib)
for i in $(seq "$viewers"); do
    curl -sN "http://127.0.0.1:$page_port/events" >"$work/viewer$i.txt" &
    bench_pids+=($!)
done
sleep 1
refused=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$page_port/events")
sleep "$seconds"
watched=$(rss_kib)
events=$(cat "$work"/viewer*.txt | grep -c '^data: ' || true)
awk -v b="$before" -v i="$idle" -v w="$watched" -v s="$seconds" -v v="$viewers" \
    -v e="$events" -v r="$refused" 'BEGIN {
  printf "RSS, no viewer         %.2f MiB -> %.2f MiB after %d s (drift %+d KiB)\n", b / 1024, i / 1024, s, i - b
  printf "RSS, %d live viewers    %.2f MiB after %d s more (%+d KiB over no viewer)\n", v, w / 1024, s, w - i
  printf "events received        %d (%.1f per viewer per second)\n", e, e / v / s
  printf "one more viewer        HTTP %s\n", r
}'
