# Helpers shared by the bench scripts (sourced, not run): the release binary, a work
# directory under target/ (a real disk, not tmpfs), simulators and daemon configs on
# loopback, and a Python venv for the peers and the plots.
# shellcheck shell=bash

# BENCH_PROFILE=debug measures the debug build instead (no LTO build on a busy machine).
profile=${BENCH_PROFILE:-release}
bin=target/$profile/rainforest-logger
sim_bin=target/$profile/rainforest-eagle-sim
venv=target/bench-venv
# Every background process a bench starts, killed on exit.
bench_pids=()

# Builds the release binaries (the logger as shipped, and the simulator) and creates $work,
# removed on exit unless KEEP=1. `bench_setup --simulator-only`: a bench that builds its own
# logger (poll_profile.sh) skips the shipped one's link.
bench_setup() {
    local flags=(--quiet)
    [ "$profile" = debug ] || flags+=(--release)
    # The logger as the Pi gets it (cross/build.sh): without `demo`, so without the simulator's
    # code, which added 0.7 MiB to its peak RSS (docs/benchmarks.md). `cargo run --release --
    # demo` relinks it with `demo` afterwards.
    [ "${1:-}" = --simulator-only ] ||
        cargo build "${flags[@]}" -p rainforest-logger --no-default-features
    cargo build "${flags[@]}" -p rainforest-eagle-sim
    bench_work_dir
}

# Creates $work (a real disk under target/, not tmpfs), cleaned up on exit by bench_cleanup.
bench_work_dir() {
    mkdir -p target
    work=$(mktemp -d -p target bench.XXXXXX)
    trap bench_cleanup EXIT
}

# Every file system a bench mounted under $work, and every loop device it set up.
bench_mounts=()
bench_loops=()

# Stops the bench's processes first, so that nothing holds its file systems, then unmounts
# them (the last mounted first), detaches the loop devices and removes $work.
bench_cleanup() {
    kill "${bench_pids[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
    local i
    for ((i = ${#bench_mounts[@]} - 1; i >= 0; i--)); do umount "${bench_mounts[i]}" 2>/dev/null || true; done
    for i in "${bench_loops[@]}"; do losetup -d "$i" 2>/dev/null || true; done
    # --one-file-system: a mount still busy (a tracefs another bench uses) is left, not emptied.
    [ "${KEEP:-0}" = 1 ] || rm -rf --one-file-system "$work"
}

# A free-looking loopback port (the simulator fails loudly if it is taken).
random_port() { echo $((20000 + RANDOM % 20000)); }

# start_sim PORT LOG [simulate options…]: a simulator whose debug log (one line per request,
# millisecond timestamps) goes to LOG.
start_sim() {
    local port=$1 log=$2
    shift 2
    RUST_LOG=rainforest_eagle_sim=debug "$sim_bin" simulate --listen "127.0.0.1:$port" "$@" \
        >"$log" 2>&1 &
    bench_pids+=($!)
    sleep 0.5
}

# write_config FILE PORT POLL_INTERVAL [COMMIT_INTERVAL] [DIR]: the shipped settings, except
# the EAGLE on loopback, the buffer and the bucket (a directory) in DIR (default $work), no LED
# and no wait for NTP.
write_config() {
    local commit=${4:+"commit_interval = \"$4\""} dir=${5:-$work}
    cat >"$1" <<TOML
[household]
id = "bench"
[eagle]
host = "http://127.0.0.1:$2"
cloud_id = "0123ab"
install_code = "0123456789abcdef"
poll_interval = "$3"
[storage]
path = "$PWD/$dir/readings.db"
$commit
[s3]
endpoint = "file://$PWD/$dir/bucket"
[led]
backend = "none"
[clock]
require_sync = false
TOML
}

# The venv with the peers' libraries and matplotlib, made once under target/.
ensure_venv() {
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r benches/peers/requirements.txt
}

# CPU seconds (user + system) a process has used so far, in clock ticks (10 ms).
cpu_seconds() {
    awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"
}

# CPU seconds its live threads have run so far, to the nanosecond (the first field of each
# thread's schedstat): precise enough for a few hundred polls of a fraction of a millisecond.
# A thread that exits takes its time with it, so a window must not outlive a thread the
# process keeps only for a while (tokio's blocking threads: 10 s idle by default).
cpu_seconds_precise() {
    cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ns += $1} END {printf "%.6f", ns / 1e9}'
}

# Peak RSS of a process so far, in KiB.
peak_rss_kib() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

# Memory only this process holds (heap, stacks, written pages) now, in KiB: RSS without the
# clean pages of its program and libraries, which it shares with the page cache.
private_dirty_kib() { awk '/^Private_Dirty/ {print $2}' "/proc/$1/smaps_rollup"; }

# device_query requests a simulator has logged.
queries_served() { grep -c 'request device_query' "$1" || true; }

# mount_card IMAGE DIR [OPTIONS]: a 256 MiB ext4 file system (4 KiB blocks) in the file IMAGE
# on a loop device, mounted on DIR as the SD image mounts its root (noatime,commit=600) unless
# OPTIONS says otherwise; sets $loop to the device. Inode tables and the journal are written
# now (no lazy init), so that no background initialisation shows up in a window.
# bench_cleanup unmounts it and detaches the device.
mount_card() {
    mkdir -p "$2"
    truncate -s 256M "$1"
    mkfs.ext4 -q -F -b 4096 -E lazy_itable_init=0,lazy_journal_init=0 "$1"
    loop=$(losetup --find --show "$1")
    bench_loops+=("$loop")
    mount -o "${3:-noatime,commit=600}" "$loop" "$2"
    bench_mounts+=("$2")
}

# Sectors written to a block device so far (/sys/block/NAME/stat), e.g. `sectors_written loop3`.
sectors_written() { awk '{print $7}' "/sys/block/$1/stat"; }
