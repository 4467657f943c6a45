#!/usr/bin/env bash
# Debian packages of the Raspberry Pi builds: cross/package.sh [aarch64|armv7|all] makes
# target/dist/rainforest-logger_<version>-<revision>_{arm64,armhf}.deb with cargo-deb from
# [package.metadata.deb] in Cargo.toml, shows each (dpkg-deb --info, --contents), and fails
# on any lintian tag but the overrides in cross/debian/lintian-overrides (each says why).
set -euo pipefail
cd "$(dirname "$0")/.."
source cross/lib.sh

# Pinned: the metadata keys and the maintainer-script snippets it writes are what was checked.
cargo_deb_version=3.8.0

targets=$(targets_of "${1:-all}")
read -ra names <<<"$targets"
bash cross/build.sh "${1:-all}" # up to date binaries: a no-op
# dpkg-dev: dpkg-shlibdeps derives Depends ($auto) from the binary.
need_packages dpkg-dev lintian
cargo deb --version 2>/dev/null | grep -qx "cargo-deb $cargo_deb_version" ||
    cargo install cargo-deb --version "$cargo_deb_version" --locked
for name in "${names[@]}"; do
    rm -f target/dist/rainforest-logger_*_"${DEB_ARCH[$name]}".deb
    deb=$(cargo deb --no-build --target "${TRIPLE[$name]}" --output target/dist/)
    echo "== $deb"
    # lintian does not compare the two; a release must add its changelog entry.
    version=$(dpkg-deb -f "$deb" Version)
    [ "$version" = "$(dpkg-parsechangelog -l cross/debian/changelog -S Version)" ] ||
        die "$deb is version $version: add an entry for it to cross/debian/changelog"
    dpkg-deb --info "$deb"
    dpkg-deb --contents "$deb"
    # Overridden tags are shown (O:) but only the others fail, whatever their level.
    report=$(lintian --pedantic --show-overrides --fail-on none "$deb" 2>&1)
    echo "$report"
    ! grep -qE '^[EWIPX]: ' <<<"$report" || die "lintian reported the tags above on $deb"
    echo "lintian: nothing but the overrides in cross/debian/lintian-overrides"
done
