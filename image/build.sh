#!/usr/bin/env bash
# The Raspberry Pi SD-card image: image/build.sh makes
#   target/image/rainforest-logger-<version>-arm64.img   (and .img.xz)
# from Debian bookworm arm64 packages (image/packages.txt), the Pi's boot firmware and our
# arm64 .deb, without mounting anything (genimage: mkdosfs + mcopy, mke2fs -d, an MBR).
#
#   stage 1  root filesystem from packages.txt (mmdebstrap, ~15 min under emulation, nearly
#            all of it building the initramfs), cached under a key made from the package
#            list and this stage's settings, so a rebuild after a code change skips it;
#   stage 2  unpack it, install the .deb, add image/rootfs/ (units, network, journald,
#            first-boot root growing), write fstab, clear per-machine identity (~1 min);
#   stage 3  FAT boot partition (label RAINFOREST, holding rainforest-logger.toml) + ext4 root
#            (label RASPIROOT, grown to fill the card on first boot), then xz.
#
#   image/build.sh [--apt-url URL --apt-key KEYRING] [--out DIR] [--no-xz]
#            with the program's apt repository (cross/publish-repo.sh: its public/ served at
#            URL, KEYRING its rainforest-logger-archive-keyring.gpg): the image gets the source
#            entry with Signed-By, and unattended upgrades follow update.channel. Without
#            them, the image has no repository: the nightly runs bring Debian's security
#            updates only (update.channel = "off" stops them). --out puts the image
#            (and its work files) in DIR instead of target/image/, so a second image
#            does not replace the first; --no-xz leaves out the .img.xz (an image only booted
#            by image/test-boot.sh, never flashed).
set -euo pipefail
cd "$(dirname "$0")/.."
source cross/lib.sh
source image/lib.sh

apt_url='' apt_key_file='' compress=1
while [ $# -gt 0 ]; do
    case "$1" in
        --apt-url) apt_url=${2:?--apt-url needs the repository URL}; shift 2 ;;
        --apt-key) apt_key_file=${2:?--apt-key needs a keyring file}; shift 2 ;;
        --out) image_out=${2:?--out needs a directory}; shift 2 ;;
        --no-xz) compress=''; shift ;;
        *) die "unknown argument '$1' (expected --apt-url URL --apt-key KEYRING, --out DIR, --no-xz)" ;;
    esac
done
started=$SECONDS
step() { printf '== image: %s (%ds)\n' "$1" $((SECONDS - started)); }

need_packages mmdebstrap genimage dosfstools mtools fdisk e2fsprogs xz-utils zstd python3 gnupg
if [ -n "$apt_url" ] || [ -n "$apt_key_file" ]; then
    [ -n "$apt_url" ] && [ -n "$apt_key_file" ] || die "--apt-url and --apt-key go together"
    [[ $apt_url =~ ^(https?|file):[^[:space:]]+$ ]] ||
        die "--apt-url $apt_url: expected an https://, http:// or file: URL without spaces"
    # apt reads Signed-By as an OpenPGP keyring: a binary one, exactly as gpg --export writes.
    gpg --batch --show-keys "$apt_key_file" >/dev/null 2>&1 && ! grep -q 'BEGIN PGP' "$apt_key_file" ||
        die "--apt-key $apt_key_file: expected a binary OpenPGP public key (gpg --export KEY)"
fi
need_binfmt aarch64

# ---- stage 0: the arm64 package of this checkout
step "arm64 package"
bash cross/package.sh aarch64 >/dev/null
shopt -s nullglob
debs=(target/dist/rainforest-logger_*_arm64.deb)
[ ${#debs[@]} -eq 1 ] || die "expected one arm64 package in target/dist/"
deb=${debs[0]}
version=$(dpkg-deb -f "$deb" Version)

# ---- stage 1: the cached root filesystem
mirror=$(mirror_of "$release")
security=$(mirror_of "$release-security")
[ -n "$mirror" ] || die "no apt sources file on this machine names $release"
mapfile -t packages < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' image/packages.txt)

# Everything that decides stage 1's result, hashed into the cache key. (The hooks are shell
# for mmdebstrap, which passes the root as $1: single quotes on purpose.)
# shellcheck disable=SC2016
stage1_recipe() {
    printf '%s\n' "$release" "${packages[@]}"
    # raspi-firmware and firmware-brcm80211 are in non-free-firmware.
    printf 'deb %s %s main non-free-firmware\n' "$mirror" "$release" "$mirror" "$release-updates"
    [ -z "$security" ] || printf 'deb %s %s-security main non-free-firmware\n' "$security" "$release"
    # Smaller root: no manuals, translations or docs (copyright files stay).
    printf -- '--dpkgopt=%s\n' force-unsafe-io 'path-exclude=/usr/share/man/*' \
        'path-exclude=/usr/share/locale/*' 'path-include=/usr/share/locale/locale.alias' \
        'path-exclude=/usr/share/info/*' 'path-exclude=/usr/share/doc/*' \
        'path-include=/usr/share/doc/*/copyright'
    # zstd initramfs: built faster under emulation, unpacked faster on the Pi.
    printf -- '--setup-hook=%s\n' \
        'mkdir -p "$1/etc/initramfs-tools/conf.d" && echo COMPRESS=zstd >"$1/etc/initramfs-tools/conf.d/rainforest.conf"'
    # The initramfs takes minutes under emulation, and the kernel, udev, zstd and the
    # firmware packages would each rebuild it: a stub stands in for update-initramfs while
    # packages are installed, and it is built once at the end.
    printf -- '--essential-hook=%s\n' \
        'chroot "$1" dpkg-divert --quiet --local --rename --add /usr/sbin/update-initramfs && printf "#!/bin/sh\nexit 0\n" >"$1/usr/sbin/update-initramfs" && chmod 755 "$1/usr/sbin/update-initramfs"'
    printf -- '--customize-hook=%s\n' \
        'rm "$1/usr/sbin/update-initramfs" && chroot "$1" dpkg-divert --quiet --local --rename --remove /usr/sbin/update-initramfs && chroot "$1" update-initramfs -c -k all'
}
key=$(stage1_recipe | sha256sum | cut -c1-16)
rootfs_tar=$image_cache/rootfs-$release-arm64-$key.tar.zst
# make_stage1 TARBALL (keep_cached's MAKE)
make_stage1() {
    local options sources include
    mapfile -t options < <(stage1_recipe | grep '^--')
    mapfile -t sources < <(stage1_recipe | grep '^deb ')
    include=$(IFS=,; echo "${packages[*]}")
    mmdebstrap --variant=minbase --arch=arm64 --mode=root --include="$include" \
        "${options[@]}" "$release" "$1" "${sources[@]}"
}
if [ -f "$rootfs_tar" ]; then
    step "stage 1: cached root filesystem $rootfs_tar"
else
    step "stage 1: root filesystem (not cached: key $key)"
fi
keep_cached "$rootfs_tar" "rootfs-$release-arm64-*.tar.zst" make_stage1

# ---- stage 2: this image's root filesystem
step "stage 2: install the package and the image's settings"
work=$image_out/work
root=$work/root
rm -rf "$work"
mkdir -p "$root"
tar --zstd -xpf "$rootfs_tar" --numeric-owner --xattrs --xattrs-include='*' -C "$root"
cp "$deb" "$root/tmp/"
in_root "$root" dpkg -i "/tmp/${deb##*/}" >/dev/null
rm "$root/tmp/${deb##*/}"
cp -a image/rootfs/. "$root/"
if [ -n "$apt_url" ]; then
    write_apt_source "$root" "$apt_url" "$apt_key_file"
    step "stage 2: repository $apt_url (suite from update.channel)"
fi
# The household's file lives on the boot partition only: without it the logger must show a
# config error, not fall back to the package's example (a made-up EAGLE).
rm -f "$root/etc/rainforest-logger/config.toml"
install -m 0644 image/rainforest-logger.toml "$root/boot/firmware/rainforest-logger.toml"

# The Pi's boot files (raspi-firmware writes config.txt and cmdline.txt from these settings,
# now and at every kernel upgrade): the root by label, so the same image boots from an SD
# card, a USB stick or qemu's virtio disk; serial console then screen; no CMA pool (headless,
# and the default one makes a Pi 4 unbootable when set from a build machine).
cat >>"$root/etc/default/raspi-firmware" <<SETTINGS

# Set by rainforest-logger's image/build.sh:
ROOTPART="LABEL=$root_label"
CONSOLES="ttyS1,115200 tty0"
CMA=0
SETTINGS
in_root "$root" /etc/initramfs/post-update.d/z50-raspi-firmware
grep -q "root=LABEL=$root_label" "$root/boot/firmware/cmdline.txt" ||
    die "raspi-firmware did not put root=LABEL=$root_label into cmdline.txt"

gid=$(in_root "$root" getent group rainforest-logger | cut -d: -f3)
cat >"$root/etc/fstab" <<FSTAB
# SD image. noatime and a 10-minute journal commit spare the card: ext4 otherwise commits the
# logger's window file's new mtime every minute, more than the minute's readings cost. What
# must survive a power cut is fsynced by whoever writes it (the logger's window and database,
# provision's files, dpkg, the SSH host keys' first start), whatever the commit interval.
LABEL=$root_label  /               ext4   rw,noatime,commit=600  0 1
# The boot partition holds the household's file with the Wi-Fi and S3 secrets. FAT has no
# permissions of its own: these options make every file readable by root and the logger's
# group only, and writable by root only.
LABEL=$boot_label  /boot/firmware  vfat   rw,noatime,uid=0,gid=$gid,fmask=0137,dmask=0027  0 2
tmpfs              /tmp            tmpfs  nosuid,nodev,size=64M  0 0
FSTAB

systemctl --root="$root" enable --quiet rainforest-logger-provision.service \
    rainforest-grow-root.service systemd-networkd.service systemd-resolved.service \
    systemd-timesyncd.service ssh.service
# Wi-Fi starts when wlan0 appears (and only with a config, see its drop-in).
mkdir -p "$root/etc/systemd/system/sys-subsystem-net-devices-wlan0.device.wants"
ln -sf /lib/systemd/system/wpa_supplicant@.service \
    "$root/etc/systemd/system/sys-subsystem-net-devices-wlan0.device.wants/wpa_supplicant@wlan0.service"
ln -sf /run/systemd/resolve/stub-resolv.conf "$root/etc/resolv.conf"
echo rainforest >"$root/etc/hostname"
# Per-machine identity is made on each card's first boot, never shared: an empty machine-id
# (systemd writes a new one at boot, without the first-boot wizard), no SSH host keys (made
# when SSH first starts).
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id" "$root"/etc/ssh/ssh_host_*
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/*.log
# No password anywhere: every account locked ('*' or '!'); staff log in with SSH keys only.
with_password=$(awk -F: '$2 !~ /^[*!]/ { print $1 }' "$root/etc/shadow")
[ -z "$with_password" ] || die "accounts with a password in the image: $with_password"

# ---- stage 3: partitions and the disk image
step "stage 3: assemble the disk image"
name=rainforest-logger-${version%-*}-arm64
root_mib=$(du -sm --exclude=./boot/firmware "$root" | awk '{ print int(($1 * 1.25 + 160) / 4) * 4 }')
cat >"$work/genimage.cfg" <<CFG
image boot.vfat {
    vfat {
        label = "$boot_label"
        # FAT32, as the partition type (0x0C) says.
        extraargs = "-F 32"
    }
    size = 256M
    mountpoint = "/boot/firmware"
}
image root.ext4 {
    ext4 {
        label = "$root_label"
        use-mke2fs = true
    }
    size = ${root_mib}M
    mountpoint = "/"
}
image $name.img {
    hdimage { partition-table-type = "mbr" }
    partition boot {
        partition-type = 0xC
        bootable = true
        offset = 4M
        image = "boot.vfat"
    }
    partition root {
        partition-type = 0x83
        image = "root.ext4"
    }
}
CFG
mkdir -p "$image_out"
rm -f "$image_out/$name.img" "$image_out/$name.img.xz"
genimage --config "$work/genimage.cfg" --rootpath "$root" --tmppath "$work/genimage-tmp" \
    --inputpath "$work" --outputpath "$work" >"$work/genimage.log" 2>&1 ||
    { cat "$work/genimage.log"; die "genimage failed"; }
mv "$work/$name.img" "$image_out/"
img=$image_out/$name.img
sfdisk -l "$img"

if [ -n "$compress" ]; then
    step "xz"
    xz -T0 -6 -k -f "$img"
    ls -l "$img" "$img.xz"
fi
# For image/test-boot.sh: which image this checkout built.
echo "$img" >"$image_out/latest"
step "done: $img"
