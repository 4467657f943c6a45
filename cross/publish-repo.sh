#!/usr/bin/env bash
# The program's signed apt repository, as static files for any HTTPS host or an S3 prefix:
#
#   cross/publish-repo.sh [--repo DIR] [--key KEY] include canary|stable [DEB...]
#       adds the .debs (default: target/dist/rainforest-logger_*.deb, from cross/package.sh)
#       to a suite; the suite's older version of each architecture goes;
#   cross/publish-repo.sh [--repo DIR] [--key KEY] promote VERSION
#       copies VERSION (every architecture canary has it for) from canary to stable;
#   cross/publish-repo.sh [--repo DIR] list
#       what each suite holds.
#
# DIR (default target/apt-repo, or $RAINFOREST_APT_REPO) holds reprepro's state (conf/, db/:
# keep them, they are the repository's memory) and the tree to upload, DIR/public/:
# dists/{canary,stable}/ (Release, InRelease, Release.gpg; main/binary-{arm64,armhf}/Packages),
# pool/ and rainforest-logger-archive-keyring.gpg (the public key, for Signed-By). KEY (or
# $RAINFOREST_APT_KEY) is the signing key's fingerprint in gpg's keyring ($GNUPGHOME).
# A version never goes down: reprepro refuses it, and so do the boxes; a rollback is a
# higher version with the old code (README: "Updates over the air").
set -euo pipefail
cd "$(dirname "$0")/.."
source cross/lib.sh

suites=(canary stable)
repo=${RAINFOREST_APT_REPO:-target/apt-repo}
key=${RAINFOREST_APT_KEY:-}
while [ $# -gt 0 ]; do
    case "$1" in
        --repo) repo=${2:?--repo needs a directory}; shift 2 ;;
        --key) key=${2:?--key needs a key fingerprint}; shift 2 ;;
        *) break ;;
    esac
done
command=${1:?usage: cross/publish-repo.sh [--repo DIR] [--key KEY] include SUITE [DEB...] | promote VERSION | list}
shift
need_packages reprepro gnupg

# reprepro takes a relative --outdir as relative to the current directory, with a warning.
repo=$(realpath -m "$repo")
public=$repo/public
keyring=$public/rainforest-logger-archive-keyring.gpg
run_reprepro() { reprepro --silent --basedir "$repo" --outdir "$public" "$@"; }

# The version each architecture of SUITE holds, as "arch version" lines.
# shellcheck disable=SC2016 # reprepro expands the format
holds() { run_reprepro -T deb --list-format '${$architecture} ${version}\n' list "$1" rainforest-logger; }

# reprepro's settings, written at every run so that the key given is the one that signs.
configure() {
    [ -n "$key" ] || die "no signing key: give --key FINGERPRINT or set RAINFOREST_APT_KEY (README: Updates over the air)"
    gpg --batch --list-secret-keys "$key" >/dev/null 2>&1 ||
        die "gpg has no secret key '$key' (GNUPGHOME=${GNUPGHOME:-~/.gnupg})"
    mkdir -p "$repo/conf" "$public"
    local suite
    for suite in "${suites[@]}"; do
        # Origin is what the boxes' unattended-upgrades allow (image/rootfs/etc/apt/apt.conf.d/).
        printf '%s\n' "Origin: rainforest-logger" "Label: rainforest-logger" \
            "Suite: $suite" "Codename: $suite" "Architectures: arm64 armhf" "Components: main" \
            "Description: rainforest-logger, $suite releases" "SignWith: $key" ""
    done >"$repo/conf/distributions"
    gpg --batch --yes --export --output "$keyring" "$key"
    [ -s "$keyring" ] || die "gpg exported no public key for '$key'"
}

# Re-signs every suite, and checks each InRelease against the exported public key.
export_and_verify() {
    run_reprepro export
    local suite
    for suite in "${suites[@]}"; do
        gpgv --keyring "$keyring" "$public/dists/$suite/InRelease" 2>/dev/null ||
            die "$public/dists/$suite/InRelease does not verify with $keyring"
        gpgv --keyring "$keyring" "$public/dists/$suite/Release.gpg" "$public/dists/$suite/Release" 2>/dev/null ||
            die "$public/dists/$suite/Release.gpg does not verify with $keyring"
    done
}

case "$command" in
    include)
        suite=${1:?usage: include canary|stable [DEB...]}
        shift
        [[ " ${suites[*]} " == *" $suite "* ]] || die "unknown suite '$suite' (expected canary or stable)"
        debs=("$@")
        if [ ${#debs[@]} -eq 0 ]; then
            shopt -s nullglob
            debs=(target/dist/rainforest-logger_*.deb)
            [ ${#debs[@]} -gt 0 ] || die "no .deb in target/dist/ (cross/package.sh)"
        fi
        configure
        for deb in "${debs[@]}"; do
            [ -f "$deb" ] || die "$deb: no such file"
            arch=$(dpkg-deb -f "$deb" Architecture)
            version=$(dpkg-deb -f "$deb" Version)
            [[ $arch == arm64 || $arch == armhf ]] || die "$deb is for $arch (expected arm64 or armhf)"
            run_reprepro includedeb "$suite" "$deb"
            # reprepro skips, with only a warning, a version lower than the one in the suite.
            holds "$suite" | grep -qx "$arch $version" ||
                die "$suite did not take $deb: it holds $(holds "$suite" | tr '\n' ' ')(a rollback is a higher version)"
            echo "$suite: rainforest-logger $version $arch"
        done
        export_and_verify
        ;;
    promote)
        version=${1:?usage: promote VERSION}
        configure
        in_canary=$(holds canary | awk -v v="$version" '$2 == v { print $1 }')
        [ -n "$in_canary" ] || die "canary does not hold version $version: it holds $(holds canary | tr '\n' ' ')"
        run_reprepro copyfilter stable canary "Package (== rainforest-logger), \$Version (== $version)"
        for arch in $in_canary; do
            holds stable | grep -qx "$arch $version" ||
                die "stable did not take $version for $arch: it holds $(holds stable | tr '\n' ' ')(a rollback is a higher version)"
            echo "stable: rainforest-logger $version $arch"
        done
        export_and_verify
        ;;
    list)
        for suite in "${suites[@]}"; do
            holds "$suite" | sed "s/^/$suite: /"
        done
        ;;
    *) die "unknown command '$command' (expected include, promote or list)" ;;
esac
