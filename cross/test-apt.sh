#!/usr/bin/env bash
# Upgrades over the air, end to end in the arm64 Debian root of cross/test-deb.sh (the same
# cached tarball, cross/lib.sh): the program's signed repository (cross/publish-repo.sh) in
# a local directory, the SD image's source entry and unattended-upgrades settings, provision's
# update part, and apt's own nightly jobs (cross/apt-checks.sh inside the root):
#
#   version A in canary and stable; apt installs it; the logger records readings;
#   version B (A repacked with a higher version and a changed packaged config) in canary;
#   channel stable  → A stays;
#   canary, but the repository signed by another key → nothing installed, the reason logged;
#   channel off     → A stays, although canary offers B;
#   channel canary  → B: the edited config kept, every reading there, the unit enabled.
set -euo pipefail
cd "$(dirname "$0")/.."
source cross/lib.sh
source image/lib.sh

shopt -s nullglob
debs=(target/dist/rainforest-logger_*_arm64.deb)
[ ${#debs[@]} -eq 1 ] || die "expected one arm64 package in target/dist/ (cross/package.sh aarch64)"
deb_a=${debs[0]}
need_packages reprepro gnupg dpkg-dev
need_test_root

work=target/test-root/apt
root=$work/root
rm -rf "$work"
unpack_test_root "$root"

# Version B: A repacked as the next release (image/lib.sh).
version_a=$(dpkg-deb -f "$deb_a" Version)
deb_b=$(next_release "$deb_a" "$work")
version_b=$(dpkg-deb -f "$deb_b" Version)

# The program's key and another one.
program_key=$(test_signing_key "$work/program-key" program)
other_key=$(test_signing_key "$work/other-key" other)
publish() { # publish KEY-DIR KEY REPO ARGS...
    GNUPGHOME=$work/$1 bash cross/publish-repo.sh --key "$2" --repo "$root/srv/$3" "${@:4}"
}

publish program-key "$program_key" apt include canary "$deb_a"
publish program-key "$program_key" apt promote "$version_a"
cp image/rootfs/etc/apt/apt.conf.d/52rainforest-logger-unattended-upgrades "$root/etc/apt/apt.conf.d/"
write_apt_source "$root" file:/srv/apt/public "$root/srv/apt/public/rainforest-logger-archive-keyring.gpg"
cp cross/apt-checks.sh "$root/tmp/"
# The EAGLE the installed logger records from: the simulator's own binary (not in the package).
cargo build --release --locked --target "${TRIPLE[aarch64]}" -p rainforest-eagle-sim
install -m 0755 "target/${TRIPLE[aarch64]}/release/rainforest-eagle-sim" "$root/usr/local/bin/"
checks() {
    local started=$SECONDS
    in_root "$root" /bin/sh /tmp/apt-checks.sh "$@"
    echo "   ($((SECONDS - started)) s)"
}

checks install $((20000 + RANDOM % 20000))
publish program-key "$program_key" apt include canary "$deb_b"
checks nightly stable "$version_a"

# The same B from a repository signed by another key, at the entry's address.
publish other-key "$other_key" other include canary "$deb_b"
point_at() { sed -i "s|^URIs: .*|URIs: file:/srv/$1/public|" "$root$apt_source"; }
point_at other
checks nightly canary "$version_a" "NO_PUBKEY ${other_key: -16}"
point_at apt

checks nightly off "$version_a"
checks nightly canary "$version_b" "Packages that will be upgraded: rainforest-logger"
rm -rf "$work"
echo "== apt repository test passed ($SECONDS s)"
