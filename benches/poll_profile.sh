#!/usr/bin/env bash
# Where a poll's CPU goes: the shipped logger (release, the Pi's features) built with line
# tables into target/profiling, one poll every INTERVAL seconds against the simulator, sampled by `perf`
# (Debian's linux-perf) for SECONDS; prints CPU per poll and each part's share of the samples.
#
#   benches/poll_profile.sh [SECONDS [INTERVAL]]   (defaults: 120, 1 s a poll; 6 is the shipped)
#   KEEP=1 …                                 keeps target/bench.*/perf.data for `perf report`
#
# A part's share counts every sample with one of its functions on the stack (a caller's share
# includes its callees'). Sampling costs CPU itself: the per-poll figure here is above
# benches/peers.sh's; the shares are what this script is for.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-120}
interval=${2:-1}
command -v perf >/dev/null || { echo "needs perf (apt-get install -y linux-perf)" >&2; exit 1; }
# shellcheck source=benches/lib.sh
source benches/lib.sh
bench_setup --simulator-only
CARGO_PROFILE_RELEASE_STRIP=false CARGO_PROFILE_RELEASE_DEBUG=line-tables-only \
    cargo build --quiet --release -p rainforest-logger --no-default-features \
    --target-dir target/profiling
profiled=target/profiling/release/rainforest-logger

port=$(random_port)
start_sim "$port" "$work/sim.log" --meter-update 500ms
write_config "$work/config.toml" "$port" "${interval}s"
RUST_LOG=warn "$profiled" run --config "$work/config.toml" 2>"$work/run.log" &
pid=$!
bench_pids+=("$pid")
sleep 5
cpu0=$(cpu_seconds_precise "$pid")
polls0=$(queries_served "$work/sim.log")
perf record --quiet -F 20000 --call-graph dwarf,16384 -p "$pid" -o "$work/perf.data" \
    -- sleep "$seconds" >/dev/null 2>&1
polls=$(($(queries_served "$work/sim.log") - polls0))
awk -v a="$cpu0" -v b="$(cpu_seconds_precise "$pid")" -v n="$polls" \
    'BEGIN {printf "%d polls, %.3f ms of CPU per poll while sampled\n", n, (b - a) * 1000 / n}'

perf report -i "$work/perf.data" --children --sort sym -g none 2>/dev/null >"$work/report.txt"
# share PATTERN: the largest "children" share of a symbol matching PATTERN.
share() {
    grep -E "$1" "$work/report.txt" | awk '{sub("%", "", $1); if ($1 > m) m = $1} END {printf "%5.1f %%", m}'
}
printf '%-66s %s\n' "part (functions on the stack)" share
# Eagle::poll is inlined into the poll loop's select; its branch is named by what it yields.
printf '%-66s %s\n' "the whole poll (Eagle::poll, in the poll loop)" "$(share 'run::\{async_fn#0\}::__tokio_select_util::Out<\(\), core::result::Result<rainforest_logger::eagle::sample::MeterSample')"
printf '%-66s %s\n' "  the reply's XML read and decoded (parse_device_query)" "$(share '\] parse_device_query')"
printf '%-66s %s\n' "    of it the one-pass reading (plain_xml::parse)" "$(share 'plain_xml::parse')"
printf '%-66s %s\n' "  reqwest: building and sending the request" "$(share 'reqwest::async_impl::client::Client::execute_request')"
printf '%-66s %s\n' "hyper's connection task (writing, reading the reply)" "$(share 'poll_inner<hyper::proto::h1::dispatch::Client')"
printf '%-66s %s\n' "  of it the kernel's TCP send (loopback: the peer's receive too)" "$(share '\[k\] tcp_sendmsg *$')"
printf '%-66s %s\n' "waiting for the next event (epoll_wait, the scheduler)" "$(share '\[\.\] epoll_wait *$')"
printf '%-66s %s\n' "the journal write (journal_all, on the poll's thread until a commit is due)" "$(share 'journal_all')"
printf '%-66s %s\n' "handing commits to the blocking pool and back (futex)" "$(share '\[k\] __x64_sys_futex *$')"
printf '%-66s %s\n' "SQLite" "$(share '\] sqlite3_step *$')"
