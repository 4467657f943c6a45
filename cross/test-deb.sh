#!/usr/bin/env bash
# Installs the arm64 package (from cross/package.sh aarch64) into a fresh Debian 12 arm64
# root, made by mmdebstrap and run through qemu-user-static by binfmt_misc, the way it lands
# on a Pi but with no systemd running; cross/deb-checks.sh checks inside that root what the
# package set up. The root is a tarball kept across runs (cross/lib.sh, need_test_root);
# cross/test-apt.sh unpacks its own copy of it.
set -euo pipefail
cd "$(dirname "$0")/.."
source cross/lib.sh

shopt -s nullglob
debs=(target/dist/rainforest-logger_*_arm64.deb)
[ ${#debs[@]} -eq 1 ] || die "expected one arm64 package in target/dist/ (cross/package.sh aarch64)"
deb=${debs[0]}

need_test_root
root=target/test-root/deb-checks
unpack_test_root "$root"
cp "$deb" config/rainforest-logger.service cross/deb-checks.sh "$root/tmp/"
in_root "$root" /bin/sh /tmp/deb-checks.sh "/tmp/${deb##*/}"
rm -rf "$root"
