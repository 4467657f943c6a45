#!/usr/bin/env bash
# Installs the arm64 package (from cross/package.sh aarch64) into a fresh Debian 12 arm64
# root, made by mmdebstrap and run through qemu-user-static by binfmt_misc, the way it lands
# on a Pi but with no systemd running; cross/deb-checks.sh checks inside that root what the
# package set up. The root is temporary (mmdebstrap --format=null): nothing is cached.
set -euo pipefail
cd "$(dirname "$0")/.."
source cross/lib.sh

release=bookworm
shopt -s nullglob
debs=(target/dist/rainforest-logger_*_arm64.deb)
[ ${#debs[@]} -eq 1 ] || die "expected one arm64 package in target/dist/ (cross/package.sh aarch64)"
deb=${debs[0]}

need_packages mmdebstrap
need_binfmt aarch64
# The root comes from the mirror this machine's apt already uses: its sources files that
# name the release as a suite.
mapfile -t sources < <(grep -lE "^[[:space:]]*(Suites:|deb[[:space:]]).*[[:space:]]$release([[:space:]]|$)" \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null)
[ ${#sources[@]} -gt 0 ] || die "no apt sources file on this machine names $release"

mmdebstrap --variant=minbase --arch=arm64 --mode=root --format=null --dpkgopt=force-unsafe-io \
    --customize-hook="copy-in $deb config/rainforest-logger.service cross/deb-checks.sh /tmp" \
    --customize-hook="chroot \"\$1\" /bin/sh /tmp/deb-checks.sh /tmp/${deb##*/}" \
    "$release" /dev/null "${sources[@]}"
