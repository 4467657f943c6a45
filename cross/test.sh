#!/usr/bin/env bash
# Runs the test suite on emulated ARM, through the qemu-user runners in .cargo/config.toml:
#   cross/test.sh aarch64   the whole suite (unit and integration tests, simulator, S3)
#   cross/test.sh armv7     the unit tests and the end-to-end test (simulator → daemon → S3)
# Further arguments replace those test selections (e.g. `cross/test.sh armv7 --test suite crash::`).
set -euo pipefail
cd "$(dirname "$0")/.."
source cross/lib.sh

name=${1:?usage: cross/test.sh aarch64|armv7 [cargo test arguments]}
shift
case "$name" in
    aarch64 | armv7) ;;
    *) die "unknown target '$name' (expected aarch64 or armv7)" ;;
esac
need_toolchains "$name"
need_binfmt "$name"
# One test per core under emulation (.cargo/config.toml runs eight at a time natively): the
# emulated CPU is what the tests wait on here, and at eight the LED tests' one-second windows
# were missed.
export RUST_TEST_THREADS=${RUST_TEST_THREADS:-$(nproc)}
if [ $# -eq 0 ] && [ "$name" = armv7 ]; then
    # armv7 runs the same code as aarch64 but for the word size; these two cover what
    # differs (32-bit arithmetic in parsing, storage and batching, the full data path) in
    # a time CI can afford. Two runs: a name filter would also filter the unit tests.
    cargo test --locked --target "${TRIPLE[$name]}" --lib
    cargo test --locked --target "${TRIPLE[$name]}" --test suite end_to_end::
else
    cargo test --locked --target "${TRIPLE[$name]}" "$@"
fi
