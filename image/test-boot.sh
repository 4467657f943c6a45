#!/usr/bin/env bash
# Boots the SD image from image/build.sh under qemu-system-aarch64 (-M virt, the image's own
# kernel, initrd and kernel command line) twice, each time on a copy of the image with a
# config placed on its FAT boot partition, as a household would:
#
#   good    the logger reads the boot-partition file, polls the project's simulator (run
#           inside the guest: nothing leaves the machine), stores readings, drives the LED;
#           hostname, Wi-Fi and SSH key are applied; the root grows to fill a larger card;
#           with update.channel = "canary": on an image built with a repository
#           (image/build.sh --apt-url …), the source entry follows canary, Signed-By the
#           program's key, unattended upgrades on and their timer active; without one, no
#           entry and unattended upgrades off;
#   broken  a bad install code and a misspelt key: config-error LED and a message naming
#           the file and the keys, never the secret.
#
# The guest has a gpio-leds "ACT" LED (added to qemu's device tree), so the logger's sysfs
# backend drives a real kernel LED class device through the image's udev rule. A test-only
# unit (image/test/, written into the copy, never into the image) reports on the serial
# console and powers off; the copy's root file system is then read back with debugfs.
#
#   image/test-boot.sh [IMAGE]     (default: the image this checkout built last)
set -euo pipefail
cd "$(dirname "$0")/.."
source cross/lib.sh
source image/lib.sh

img=${1:-$(cat "$image_out/latest" 2>/dev/null || true)}
[ -f "$img" ] || die "no image: run image/build.sh first"

need_packages mtools e2fsprogs fdisk python3 device-tree-compiler
if ! command -v qemu-system-aarch64 >/dev/null; then
    # Debian 12's own qemu-system-arm conflicts with the qemu-utils 10 such machines carry;
    # bookworm-backports has the matching one.
    if [ -z "$(mirror_of "$release-backports")" ]; then
        cat >/etc/apt/sources.list.d/bookworm-backports.sources <<EOF
Types: deb
URIs: $(mirror_of "$release")
Suites: $release-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        -t "$release-backports" qemu-system-arm >/dev/null
fi

# The simulator the test unit runs in the guest: a binary of its own (the image's logger has
# none), built for the Pi and written into each copy with the test units.
need_toolchains aarch64
cargo build --release --locked --target "${TRIPLE[aarch64]}" -p rainforest-eagle-sim
sim_bin=target/${TRIPLE[aarch64]}/release/rainforest-eagle-sim

failures=0
check() { # check DESCRIPTION COMMAND...: one line per assertion, counting failures
    local description=$1
    shift
    if "$@"; then
        echo "  ok    $description"
    else
        echo "  FAIL  $description"
        failures=$((failures + 1))
    fi
}
# The value of a "TEST-REPORT <name> <value>" line of the console log.
# (The console prefixes each journal line with the time and the unit.)
report() { sed -n "s/.*TEST-REPORT $1 //p" "$dir/console.log" | tr -d '\r' | tail -n1; }
contains() { [[ $1 == *"$2"* ]]; }
flickers() { [[ $1 == *0* && $1 == *1* ]]; }
absent_from_console() { ! grep -qF -- "$1" "$dir/console.log"; }
# Reads a file of the copy's root file system (debugfs: no mount needed).
guest_file() { debugfs -R "cat $1" "$dir/disk.img?offset=$root_offset" 2>/dev/null; }
guest_mode() {
    debugfs -R "stat $1" "$dir/disk.img?offset=$root_offset" 2>/dev/null |
        sed -n 's/.*Mode: *\([0-7]*\).*/\1/p'
}

# Copies the image, puts CONFIG on its boot partition and the test units on its root, boots
# it until the guest powers off, and leaves console.log and disk.img in $dir.
boot() {
    local name=$1 config=$2 expect=$3
    dir=$image_out/boot-test/$name
    rm -rf "$dir"
    mkdir -p "$dir"
    cp --sparse=always "$img" "$dir/disk.img"
    # A card bigger than the image: the first boot must grow the root to fill it.
    truncate -s +512M "$dir/disk.img"
    boot_offset=$(partition_bytes "$dir/disk.img" 1 start)
    root_offset=$(partition_bytes "$dir/disk.img" 2 start)
    root_size_before=$(($(partition_bytes "$dir/disk.img" 2 size) / 1048576))

    mcopy -o -i "$dir/disk.img@@$boot_offset" "$config" ::rainforest-logger.toml
    # The kernel and initrd the Pi firmware would start: config.txt names them.
    mcopy -n -i "$dir/disk.img@@$boot_offset" ::config.txt ::cmdline.txt "$dir/"
    local kernel initrd
    kernel=$(sed -n 's/^kernel=//p' "$dir/config.txt" | tr -d '\r')
    initrd=$(awk '$1 == "initramfs" { print $2 }' "$dir/config.txt" | tr -d '\r')
    mcopy -n -i "$dir/disk.img@@$boot_offset" "::$kernel" "$dir/vmlinuz"
    mcopy -n -i "$dir/disk.img@@$boot_offset" "::$initrd" "$dir/initrd.img"
    echo "$expect" >"$dir/expect"
    debugfs -w -f - "$dir/disk.img?offset=$root_offset" >/dev/null 2>&1 <<EOF
write image/test/rainforest-test-eagle.service /etc/systemd/system/rainforest-test-eagle.service
write $sim_bin /usr/local/bin/rainforest-eagle-sim
sif /usr/local/bin/rainforest-eagle-sim mode 0100755
write image/test/rainforest-test-report.service /etc/systemd/system/rainforest-test-report.service
write image/test/rainforest-test-report /usr/local/sbin/rainforest-test-report
sif /usr/local/sbin/rainforest-test-report mode 0100755
write $dir/expect /etc/rainforest-test-expect
symlink /etc/systemd/system/multi-user.target.wants/rainforest-test-eagle.service /etc/systemd/system/rainforest-test-eagle.service
symlink /etc/systemd/system/multi-user.target.wants/rainforest-test-report.service /etc/systemd/system/rainforest-test-report.service
EOF
    [ "$(guest_mode /usr/local/sbin/rainforest-test-report)" = 0755 ] ||
        die "could not add the test units to $dir/disk.img"
    [ "$(guest_mode /usr/local/bin/rainforest-eagle-sim)" = 0755 ] ||
        die "could not add the simulator $sim_bin to $dir/disk.img"

    # The image's own kernel command line, with the Pi's serial console swapped for virt's
    # and the journal copied to it (the assertions read it).
    local cmdline
    cmdline=$(sed -e 's/console=[^ ]*//g' "$dir/cmdline.txt" | tr -s ' ')
    cmdline="$cmdline console=ttyAMA0 systemd.journald.forward_to_console=1"
    local machine=(-M virt -cpu cortex-a72 -smp 2 -m 1024 -nographic -no-reboot -nic none
        -drive "if=virtio,format=raw,file=$dir/disk.img")
    # qemu's own device tree plus an LED named ACT on a line of the PL061 GPIO controller.
    qemu-system-aarch64 "${machine[@]}" -machine "dumpdtb=$dir/virt.dtb" >/dev/null
    dtc -q -I dtb -O dts -o "$dir/virt.dts" "$dir/virt.dtb"
    python3 - "$dir/virt.dts" <<'EOF'
import re, sys
path = sys.argv[1]
dts = open(path).read()
node = re.search(r"pl061@9030000 \{.*?phandle = <(0x[0-9a-f]+)>", dts, re.S)
led = ('\tleds {\n\t\tcompatible = "gpio-leds";\n\t\tact {\n\t\t\tlabel = "ACT";\n'
       f'\t\t\tgpios = <{node.group(1)} 5 0>;\n\t\t\tdefault-state = "off";\n\t\t}};\n\t}};\n')
end = dts.rindex("};")
open(path, "w").write(dts[:end] + led + dts[end:])
EOF
    dtc -q -I dts -O dtb -o "$dir/virt-led.dtb" "$dir/virt.dts"

    echo "== boot: $name (expecting LED state: $expect)"
    local started=$SECONDS
    timeout 900 qemu-system-aarch64 "${machine[@]}" -dtb "$dir/virt-led.dtb" \
        -kernel "$dir/vmlinuz" -initrd "$dir/initrd.img" -append "$cmdline" \
        </dev/null >"$dir/console.log" 2>&1 || true
    boot_seconds=$((SECONDS - started))
    echo "   guest ran ${boot_seconds}s; console: $dir/console.log"
    sed -n 's/.*TEST-REPORT /   /p' "$dir/console.log" | tr -d '\r'
    if ! grep -q 'TEST-REPORT done' "$dir/console.log"; then
        tail -n 60 "$dir/console.log"
        die "the $name boot did not finish its report"
    fi
}

# ---- good: a complete config
boot good image/test/good.toml healthy
check "the logger's systemd status is healthy" contains "$(report status-text)" "LED healthy:"
check "the logger said which file it read" \
    grep -q 'config /boot/firmware/rainforest-logger.toml' "$dir/console.log"
stored=$(report "status: readings stored" | awk '{ print $1 }')
check "readings were stored (status says ${stored:-none})" test "${stored:-0}" -ge 3
check "the LED was taken from the kernel (trigger none)" contains "$(report led-trigger)" "[none]"
check "the udev rule gave the LED to group gpio" test "$(report led-owner)" = gpio
check "the LED is steadily on (led.healthy = on)" test "$(report led-samples)" = 11111111111111111111
check "hostname from the household id" test "$(report hostname)" = rainforest-ci-boot-01-d61d55fe
check "boot partition mounted with fmask=0137,dmask=0027" \
    contains "$(report boot-mount)" "fmask=0137,dmask=0027"
check "the config file reads as 640 root:rainforest-logger" \
    test "$(report config-mode)" = "640 root:rainforest-logger"
check "the root grew to fill the card ($root_size_before MiB before)" \
    test "$(report root-size-mib)" -gt $((root_size_before + 400))
for unit in rainforest-logger rainforest-logger-provision rainforest-grow-root ssh \
    systemd-networkd systemd-resolved systemd-timesyncd; do
    check "unit $unit is active" test "$(report "unit $unit")" = active
done
check "no unit failed" test -z "$(report failed-units | tr -d ' ')"
for secret in 7a3f9c2e5b8d1046 ci-boot-secret-access-key-5e1d AKIACIBOOTTESTKEY7Q \
    ci-boot-wifi-passphrase-9c4b; do
    check "secret ${secret:0:6}… never on the console" absent_from_console "$secret"
done
good_boot_seconds=$boot_seconds

# Read back from the card after power-off.
debugfs -R "dump /var/lib/rainforest-logger/readings.db $dir/readings.db" \
    "$dir/disk.img?offset=$root_offset" >/dev/null 2>&1
debugfs -R "dump /var/lib/rainforest-logger/readings.db-wal $dir/readings.db-wal" \
    "$dir/disk.img?offset=$root_offset" >/dev/null 2>&1 || true
[ -s "$dir/readings.db-wal" ] || rm -f "$dir/readings.db-wal"
read -r rows demand_rows first_ms < <(python3 - "$dir/readings.db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(*db.execute("SELECT count(*), count(demand_kw), min(monotonic_ms) FROM readings").fetchone())
EOF
)
check "the database on the card holds the readings ($rows rows)" test "$rows" -ge 3
check "every reading has a demand value" test "$demand_rows" = "$rows"
echo "   first reading stored $((first_ms / 1000)) s after the kernel started (emulated)"
wpa=$(guest_file /etc/wpa_supplicant/wpa_supplicant-wlan0.conf)
ssid_hex=$(printf '%s' "CI test network" | od -An -tx1 | tr -d ' \n')
check "Wi-Fi configured for the SSID (hex)" contains "$wpa" "ssid=$ssid_hex"
check "Wi-Fi country set" contains "$wpa" "country=GB"
check "the Wi-Fi file is mode 0600" test "$(guest_mode /etc/wpa_supplicant/wpa_supplicant-wlan0.conf)" = 0600
check "the staff key is authorized" contains "$(guest_file /root/.ssh/authorized_keys)" "ci-boot-test@"
check "SSH host keys were made on this card" contains "$(guest_file /etc/ssh/ssh_host_ed25519_key.pub)" "ssh-ed25519"
check "the card got its own machine id" test -n "$(guest_file /etc/machine-id)"
if [ -n "$(guest_file /etc/apt/sources.list.d/rainforest-logger.sources)" ]; then
    check "the source entry follows update.channel" test "$(report apt-suite)" = canary
    check "the source entry is Signed-By the program's key" \
        test "$(report apt-signed-by)" = /usr/share/keyrings/rainforest-logger-archive-keyring.gpg
    check "the program's key is on the card" \
        test -n "$(guest_file /usr/share/keyrings/rainforest-logger-archive-keyring.gpg)"
    check "unattended upgrades are on" test "$(report unattended-upgrade)" = 1
    check "provision said so" grep -q 'update: canary nightly at' "$dir/console.log"
    check "upgrades at the household's night time" contains \
        "$(guest_file /etc/systemd/system/apt-daily-upgrade.timer.d/rainforest-logger.conf)" "OnCalendar=*-*-* 0"
else
    check "no source entry in an image built without a repository" test -z "$(report apt-suite)"
    check "unattended upgrades are off without a repository" test "$(report unattended-upgrade)" = 0
fi
check "the unattended-upgrades timer is active" test "$(report "timer apt-daily-upgrade")" = active

# ---- broken: a config the logger must refuse, clearly
boot broken image/test/broken.toml "config error"
check "the logger's systemd status is config error" contains "$(report status-text)" "LED config error:"
check "the message names the file and the bad install code" \
    grep -q '/boot/firmware/rainforest-logger.toml.*eagle.install_code\|eagle.install_code.*rainforest-logger.toml' "$dir/console.log"
check "the message names the misspelt key" grep -q 'eagle.pol_interval' "$dir/console.log"
check "the install code is never on the console" absent_from_console c0ffee42beef
samples=$(report led-samples)
check "the LED flickers (config error), samples $samples" flickers "$samples"
check "the logger keeps running, waiting for a fixed file" \
    test "$(report "unit rainforest-logger")" = active
check "SSH stays off without a key" test "$(report "unit ssh")" = inactive

echo "== boot test: good boot ${good_boot_seconds}s, broken boot ${boot_seconds}s (emulated)"
[ "$failures" -eq 0 ] || die "$failures boot-test checks failed"
echo "== boot test passed"
