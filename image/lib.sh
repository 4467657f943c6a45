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
