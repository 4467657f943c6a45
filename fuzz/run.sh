#!/usr/bin/env bash
# Runs every fuzz target (or the ones named), one after another, for RUNS executions each,
# with MAX_SECONDS per target as a guard, and appends one line per target to
# fuzz/results.tsv: target, executions, seconds, peak RSS, outcome.
#
#   bash fuzz/run.sh [RUNS] [MAX_SECONDS] [TARGET...]      (defaults: 10000000, 3600, all)
#
# Not part of CI: minutes per target. Builds with optimisations, debug assertions (so integer
# overflow panics) and no sanitizer: the targets are safe Rust, and a panic is what we hunt.
# New corpus entries go to fuzz/corpus/ (not committed); fuzz/seeds/ holds the committed seeds.
# A crash leaves its input in fuzz/artifacts/TARGET/ and the script goes on with the next one.
set -euo pipefail
cd "$(dirname "$0")"
runs=${1:-10000000}
max_seconds=${2:-3600}
shift $(($# < 2 ? $# : 2))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(device_list device_query xml_bounds plain_xml legacy config config_install_code)

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
# cargo fuzz needs nightly flags; without a nightly toolchain, let stable accept them.
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    fuzz=(cargo +nightly fuzz)
else
    export RUSTC_BOOTSTRAP=1
    fuzz=(cargo fuzz)
fi
build_flags=(--release --debug-assertions --sanitizer none)

mkdir -p logs
[ -f results.tsv ] || printf 'date\ttarget\texecutions\tseconds\tpeak_rss_mb\toutcome\n' >results.tsv
for target in "${targets[@]}"; do
    "${fuzz[@]}" build "${build_flags[@]}" "$target"
    mkdir -p "corpus/$target"
    start=$(date +%s)
    outcome=ok
    "${fuzz[@]}" run "${build_flags[@]}" "$target" "corpus/$target" "seeds/$target" -- \
        -runs="$runs" -max_total_time="$max_seconds" -print_final_stats=1 \
        >"logs/$target.log" 2>&1 || outcome=crash
    seconds=$(($(date +%s) - start))
    execs=$(awk '/stat::number_of_executed_units/ {print $2}' "logs/$target.log")
    rss=$(awk '/stat::peak_rss_mb/ {print $2}' "logs/$target.log")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%F)" "$target" "${execs:-?}" "$seconds" \
        "${rss:-?}" "$outcome" | tee -a results.tsv
done
