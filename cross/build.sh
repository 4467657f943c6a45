#!/usr/bin/env bash
# Builds the release binaries for the Raspberry Pi: cross/build.sh [aarch64|armv7|all].
# Installs what a fresh Debian 12 machine lacks (rustup targets, Debian's cross gcc,
# qemu-user), copies each binary to target/dist/rainforest-logger-<target>, and checks it is
# the right kind of ARM binary and that it runs (`--version` under qemu-user).
set -euo pipefail
cd "$(dirname "$0")/.."
source cross/lib.sh

targets=$(targets_of "${1:-all}")
read -ra names <<<"$targets"
need_toolchains "${names[@]}"
mkdir -p target/dist
# Without the default feature `demo`: no simulator in the Pi's binary. (Its one server is
# the household page's own, README: The household page.) All targets in one build: each
# one's last step, the whole-program optimisation, takes one core, and two run side by side.
target_args=()
for name in "${names[@]}"; do
    target_args+=(--target "${TRIPLE[$name]}")
done
started=$SECONDS
cargo build --release --locked -p rainforest-logger --no-default-features "${target_args[@]}"
echo "built ${names[*]} in $((SECONDS - started))s"
for name in "${names[@]}"; do
    triple=${TRIPLE[$name]}
    dist=target/dist/rainforest-logger-$triple
    cp "target/$triple/release/rainforest-logger" "$dist"
    # The simulator's Wi-Fi key is a string only it holds.
    ! grep -qaF sim-wifi-key "$dist" || die "$dist contains the EAGLE simulator"
    ! cargo tree --locked -e normal -p rainforest-logger --no-default-features --target "$triple" |
        grep -q rainforest-eagle-sim || die "the Pi's build depends on the EAGLE simulator"
    # Nor a server crate: the household page is served on tokio's sockets (src/web/server.rs).
    ! cargo tree --locked -e normal,features -p rainforest-logger --no-default-features --target "$triple" -i hyper |
        grep -q 'hyper feature "server"' || die "the Pi's build links hyper's server"

    kind=$(file -b "$dist")
    [[ $kind =~ ${FILE_SAYS[$name]} ]] || die "$dist is not an $name binary: $kind"
    version=$(QEMU_LD_PREFIX=/usr/${GNU[$name]} "${QEMU[$name]}" "$dist" --version)
    [[ $version == *"$triple"* ]] || die "$dist --version does not name $triple: $version"
    # The newest glibc symbol version it needs: the oldest OS release it runs on.
    glibc=$("${GNU[$name]}-objdump" -T "$dist" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
    printf '%s: %s bytes, needs %s\n  %s\n  %s\n' \
        "$dist" "$(stat -c %s "$dist")" "$glibc" "$kind" "$version"
done
