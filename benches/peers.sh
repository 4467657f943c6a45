#!/usr/bin/env bash
# CPU seconds per 1,000 polls and peak RSS, side by side in one run: this daemon (release,
# `run`), a poller built on aioeagle (Home Assistant's library) and a seed-style `requests`
# loop, each against its own simulator of the same profile, all at the same poll rate.
#
#   benches/peers.sh [SECONDS] [INTERVAL_S]       (defaults: 300 s, 1 s)
#   BASELINE=DIR benches/peers.sh …              (also DIR/rainforest-logger, e.g. a build of
#                                                 an older commit, as poller "baseline")
#
# The meter updates every 0.5 s, so every poll brings a new reading: the daemon journals each
# (one write) and commits them to SQLite once a minute (the shipped storage.commit_interval);
# the peers append a JSON line each (flushed, not fsynced). CPU (utime+stime from /proc/PID/stat) is taken
# over the window after a 5 s start-up, polls are the device_query requests each simulator
# logged in that window, peak RSS is VmHWM at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
interval=${2:-1}
# shellcheck source=benches/lib.sh
source benches/lib.sh
bench_setup
ensure_venv

pollers=(daemon aioeagle requests)
if [ -n "${BASELINE:-}" ]; then pollers=(daemon baseline aioeagle requests); fi
declare -A pid sim_log
for p in "${pollers[@]}"; do
    port=$(random_port)
    sim_log[$p]=$work/sim-$p.log
    start_sim "$port" "${sim_log[$p]}" --meter-update 500ms
    case $p in
    daemon | baseline)
        mkdir -p "$work/$p"
        write_config "$work/$p/config.toml" "$port" "${interval}s" "" "$work/$p"
        daemon_bin=$bin
        [ "$p" = daemon ] || daemon_bin=$BASELINE/rainforest-logger
        RUST_LOG=warn "$daemon_bin" run --config "$work/$p/config.toml" 2>"$work/$p/run.log" &
        ;;
    *)
        "$venv/bin/python" benches/peers/poller.py "$p" "127.0.0.1:$port" 0123ab \
            0123456789abcdef "$interval" "$work/$p.ndjson" 2>"$work/$p.err" &
        ;;
    esac
    pid[$p]=$!
    bench_pids+=("${pid[$p]}")
done
sleep 5
declare -A cpu0 polls0
for p in "${pollers[@]}"; do
    cpu0[$p]=$(cpu_seconds_precise "${pid[$p]}")
    polls0[$p]=$(queries_served "${sim_log[$p]}")
done
sleep "$seconds"
printf 'window %d s at one poll every %s s; same simulator profile (eagle200-2019)\n' \
    "$seconds" "$interval"
printf '%-10s %7s %9s %16s %14s %14s\n' poller polls "CPU (s)" "CPU s/1000 polls" "peak RSS MiB" \
    "private MiB"
for p in "${pollers[@]}"; do
    cpu=$(awk -v a="${cpu0[$p]}" -v b="$(cpu_seconds_precise "${pid[$p]}")" 'BEGIN {print b - a}')
    polls=$(($(queries_served "${sim_log[$p]}") - polls0[$p]))
    awk -v p="$p" -v n="$polls" -v c="$cpu" -v r="$(peak_rss_kib "${pid[$p]}")" \
        -v d="$(private_dirty_kib "${pid[$p]}")" 'BEGIN {
        printf "%-10s %7d %9.3f %16.3f %14.2f %14.2f\n", p, n, c, 1000 * c / n, r / 1024, d / 1024 }'
done
