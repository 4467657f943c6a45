# Shared by the image/ scripts (sourced after cross/lib.sh).
# shellcheck shell=bash

# shellcheck disable=SC2034 # read by the scripts that source this file
release=bookworm
# Where built images go, and the cache of the slow root-filesystem stage (kept across
# checkouts; delete it to pick up Debian's newest security updates).
image_out=target/image
image_cache=${RAINFOREST_IMAGE_CACHE:-$HOME/.cache/rainforest-logger/image}
# Partition labels: the FAT one is the drive name Windows and macOS show.
boot_label=RAINFOREST
root_label=RASPIROOT

# Prints the first URI of this machine's apt sources for a suite (the mirror the image is
# built from: whatever this machine's apt already reaches).
mirror_of() {
    local suite=$1
    # deb822 files: one stanza (paragraph) per source.
    awk -v RS= -v suite="$suite" '
        $0 ~ "(^|\n)Suites:([^\n]*[ \t])?" suite "([ \t]|\n|$)" {
            if (match($0, /URIs:[ \t]*[^ \t\n]+/)) {
                uri = substr($0, RSTART, RLENGTH); sub(/URIs:[ \t]*/, "", uri); print uri; exit
            }
        }' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1
}

# Byte offset (start) or size of partition N (1-based) of a disk image, from its MBR:
#   partition_bytes IMAGE N start|size
partition_bytes() {
    sfdisk --json "$1" | python3 -c 'import json, sys
table = json.load(sys.stdin)["partitiontable"]
print(table["partitions"][int(sys.argv[1]) - 1][sys.argv[2]] * table.get("sectorsize", 512))' "$2" "$3"
}

# Where the image keeps the program's repository key (Signed-By), and its source entry.
apt_keyring=/usr/share/keyrings/rainforest-logger-archive-keyring.gpg
apt_source=/etc/apt/sources.list.d/rainforest-logger.sources

# Writes the program's repository source entry into the root ROOT, with the key file KEY as
# its Signed-By: write_apt_source ROOT URL KEY. The suite is stable until `provision` sets
# the household's update.channel.
write_apt_source() {
    local root=$1 url=$2 key=$3
    install -D -m 0644 "$key" "$root$apt_keyring"
    mkdir -p "$root${apt_source%/*}"
    cat >"$root$apt_source" <<SOURCE
# rainforest-logger's releases (image/build.sh); \`rainforest-logger provision\` sets Suites
# from update.channel at every boot.
Types: deb
URIs: $url
Suites: stable
Components: main
Signed-By: $apt_keyring
SOURCE
}

# For the update tests (cross/test-apt.sh, image/test-boot.sh): a throw-away signing key in a
# new gpg home DIR (gpg's own default algorithm, no passphrase: never for a real repository);
# prints its fingerprint. test_signing_key DIR NAME
test_signing_key() {
    mkdir -m 700 "$1"
    GNUPGHOME=$1 gpg --batch --passphrase '' --quick-gen-key "rainforest-logger $2 test key" default sign never 2>/dev/null
    GNUPGHOME=$1 gpg --batch --with-colons --list-secret-keys | awk -F: '$1 == "fpr" { print $10; exit }'
}

# The next release of a package, for the update tests: DEB's files with the Debian revision
# bumped (no second cargo build) and a line added to the packaged config, as a release that
# changes config/example.toml would. Writes it into DIR and prints its path:
# next_release DEB DIR
next_release() {
    local deb=$1 dir=$2 version next arch
    version=$(dpkg-deb -f "$deb" Version)
    arch=$(dpkg-deb -f "$deb" Architecture)
    next=${version%-*}-$((${version##*-} + 1))
    rm -rf "$dir/next-release"
    dpkg-deb -R "$deb" "$dir/next-release"
    sed -i "s/^Version: .*/Version: $next/" "$dir/next-release/DEBIAN/control"
    echo "# A comment added by release $next." >>"$dir/next-release/etc/rainforest-logger/config.toml"
    dpkg-deb --root-owner-group -b "$dir/next-release" "$dir/rainforest-logger_${next}_$arch.deb" >/dev/null
    rm -rf "$dir/next-release"
    echo "$dir/rainforest-logger_${next}_$arch.deb"
}
