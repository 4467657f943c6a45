# Shared by the cross/ scripts (sourced): the two Raspberry Pi targets and idempotent
# installs of what building, testing and packaging them need on a fresh Debian 12 machine.
# shellcheck shell=bash

# Short name → Rust target, Debian architecture, qemu-user program, and GNU triple (Debian's
# cross tools are gcc-<gnu> and <gnu>-objdump; their sysroot /usr/<gnu> holds the ARM loader
# and glibc qemu-user needs). ARMv6 (Pi 1, Zero, Zero W) is absent on purpose: see README.
declare -A TRIPLE=([aarch64]=aarch64-unknown-linux-gnu [armv7]=armv7-unknown-linux-gnueabihf)
declare -A DEB_ARCH=([aarch64]=arm64 [armv7]=armhf)
declare -A QEMU=([aarch64]=qemu-aarch64 [armv7]=qemu-arm)
declare -A GNU=([aarch64]=aarch64-linux-gnu [armv7]=arm-linux-gnueabihf)
# What `file` must say about the binary: 64-bit ARM, or 32-bit ARM EABI5 with the hard-float
# loader (a soft-float armel binary would not run on Raspberry Pi OS).
declare -A FILE_SAYS=([aarch64]='ELF 64-bit LSB .*ARM aarch64' [armv7]='ELF 32-bit LSB .*ARM, EABI5.*/lib/ld-linux-armhf.so.3')

die() {
    echo "error: $*" >&2
    exit 1
}

# The short names an argument stands for: aarch64, armv7, or all (the default).
targets_of() {
    case "${1:-all}" in
        all) echo aarch64 armv7 ;;
        aarch64 | armv7) echo "$1" ;;
        *) die "unknown target '$1' (expected aarch64, armv7 or all)" ;;
    esac
}

# Installs the Debian packages of the arguments that are missing; runs `apt-get update`
# (once per script) only when something is.
apt_updated=
need_packages() {
    local missing=() package
    for package in "$@"; do
        dpkg-query -W -f '${Status}' "$package" 2>/dev/null | grep -q 'ok installed' ||
            missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return
    if [ -z "$apt_updated" ]; then
        apt-get update -qq
        apt_updated=1
    fi
    # Waits for another apt (a shared build machine) instead of failing at once.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
        "${missing[@]}" >/dev/null
}

# The Rust standard library for each short name given, and its cross linker and qemu-user.
need_toolchains() {
    local name packages=(qemu-user file)
    for name in "$@"; do
        rustup target list --installed | grep -qx "${TRIPLE[$name]}" ||
            rustup target add "${TRIPLE[$name]}"
        packages+=("gcc-${GNU[$name]}")
    done
    need_packages "${packages[@]}"
}

# Lets the kernel itself run ARM programs through qemu-user-static: the tests start the
# daemon binary from an (emulated) test binary, and an arm64 root runs its maintainer
# scripts. The registration does not survive a reboot, hence done every time it is needed.
need_binfmt() {
    local name=$1 entry=/proc/sys/fs/binfmt_misc
    need_packages qemu-user-static
    mountpoint -q "$entry" || mount -t binfmt_misc binfmt_misc "$entry"
    [ -e "$entry/${QEMU[$name]}" ] || cat "/usr/lib/binfmt.d/${QEMU[$name]}.conf" >"$entry/register"
    grep -qx enabled "$entry/${QEMU[$name]}" || die "binfmt_misc entry ${QEMU[$name]} is disabled"
}

# A root file system that takes minutes to make, kept across runs under a key made from what
# decides its contents (cross/test-deb.sh's root here, image/build.sh's stage 1): FILE is
# made only if missing, by MAKE... with a scratch path beside it appended (same ending, which
# mmdebstrap reads the format from), renamed to FILE once MAKE succeeds. Files of the other
# keys (GLOB, in FILE's directory) are removed.
#   keep_cached FILE GLOB MAKE [ARGS...]
keep_cached() {
    local file=$1 glob=$2
    shift 2
    [ -f "$file" ] && return
    local dir=${file%/*} name=${file##*/}
    local scratch=$dir/incomplete.${name#*.}
    mkdir -p "$dir"
    "$@" "$scratch"
    mv "$scratch" "$file"
    find "$dir" -name "$glob" ! -name "$name" -delete
}

# The arm64 Debian root the package tests install into (cross/test-deb.sh, cross/test-apt.sh):
# Debian 12 minbase from the mirror this machine's apt uses, plus unattended-upgrades, as a
# tarball so each test unpacks a clean copy in seconds. mmdebstrap takes 2-3 minutes, so the
# tarball is kept across runs (keep_cached), its key made from the release, mmdebstrap's
# options and this machine's sources files; a changed mirror or option builds a new one.
# need_test_root sets $test_root_tar.
test_root_release=bookworm
test_root_cache=${RAINFOREST_TEST_ROOT_CACHE:-$HOME/.cache/rainforest-logger/test-root}
need_test_root() {
    local sources key
    need_binfmt aarch64
    # This machine's sources files that name the release as a suite.
    mapfile -t sources < <(grep -lE "^[[:space:]]*(Suites:|deb[[:space:]]).*[[:space:]]$test_root_release([[:space:]]|$)" \
        /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null)
    [ ${#sources[@]} -gt 0 ] || die "no apt sources file on this machine names $test_root_release"
    test_root_options=(--variant=minbase --arch=arm64 --mode=root --include=unattended-upgrades
        --dpkgopt=force-unsafe-io)
    test_root_sources=("${sources[@]}")
    key=$({ printf '%s\n' "$test_root_release" "${test_root_options[@]}"; cat "${sources[@]}"; } |
        sha256sum | cut -c1-16)
    test_root_tar=$test_root_cache/$test_root_release-arm64-$key.tar
    [ -f "$test_root_tar" ] && echo "== test root: cached $test_root_tar"
    keep_cached "$test_root_tar" "$test_root_release-arm64-*.tar" make_test_root
}
# make_test_root TARBALL (keep_cached's MAKE for need_test_root)
make_test_root() {
    need_packages mmdebstrap
    mmdebstrap "${test_root_options[@]}" "$test_root_release" "$1" "${test_root_sources[@]}"
}

# Unpacks the test root into a new directory DIR (removed first).
unpack_test_root() {
    rm -rf "$1"
    mkdir -p "$1"
    tar -xpf "$test_root_tar" --numeric-owner -C "$1"
}

# Runs a command inside an arm64 root (through qemu-user), with /proc mounted in a mount
# namespace of its own, so nothing stays mounted whatever happens: in_root ROOT COMMAND...
in_root() {
    # shellcheck disable=SC2016 # $0 and $@ belong to the inner shell
    unshare --mount --fork sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$@"
}
