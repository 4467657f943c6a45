#!/usr/bin/env bash
# Poll cadence and a soak, in one run of the release daemon against the `variable-latency`
# simulator (every reply takes a uniformly random 0–3 s):
#  - start-time offsets of POLLS polls from the ideal grid (k × interval, placed at the
#    earliest start since no poll starts before its tick), from
#    the simulator's log of request arrivals (millisecond timestamps; the daemon is not
#    instrumented), plotted to docs/img/cadence.png;
#  - the daemon's RSS every 10 s, plotted to docs/img/soak_rss.png.
#
#   benches/cadence_soak.sh [POLLS] [INTERVAL_S]       (defaults: 500, 6 = the shipped rate)
set -euo pipefail
cd "$(dirname "$0")/.."
polls=${1:-500}
interval=${2:-6}
# shellcheck source=benches/lib.sh
source benches/lib.sh
bench_setup
ensure_venv

port=$(random_port)
start_sim "$port" "$work/sim.log" --profile variable-latency
write_config "$work/config.toml" "$port" "${interval}s"
RUST_LOG=warn "$bin" run --config "$work/config.toml" 2>"$work/run.log" &
run_pid=$!
bench_pids+=("$run_pid")
started=$(date +%s)
printf 'seconds\trss_kib\n' >"$work/rss.tsv"
# One extra interval so the last poll's request has arrived.
while [ $(($(date +%s) - started)) -lt $(((polls + 1) * interval)) ]; do
    printf '%d\t%d\n' $(($(date +%s) - started)) \
        "$(awk '/VmRSS/ {print $2}' "/proc/$run_pid/status")" >>"$work/rss.tsv"
    sleep 10
done
printf 'peak RSS (VmHWM) %.1f MiB\n' "$(peak_rss_kib "$run_pid" | awk '{print $1 / 1024}')"
mkdir -p docs/img
"$venv/bin/python" benches/plot.py cadence "$work/sim.log" "$interval" "$polls" docs/img/cadence.png
"$venv/bin/python" benches/plot.py rss "$work/rss.tsv" docs/img/soak_rss.png
