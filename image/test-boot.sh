#!/usr/bin/env bash
# Boots SD images from image/build.sh under qemu-system-aarch64 (-M virt, the image's own
# kernel, initrd and kernel command line), each time on a copy of the image with a config
# placed on its FAT boot partition, as a household would:
#
#   good      on an image built with the program's repository (this script publishes a
#             signed test repository with a throw-away key and runs image/build.sh
#             --apt-url --apt-key): the logger reads the boot-partition file, polls the
#             project's simulator (run inside the guest), stores readings, drives the LED;
#             hostname, Wi-Fi and SSH key are applied; the root grows to fill a larger card;
#             update.channel = "canary" puts the source entry on canary, Signed-By the
#             program's key, unattended upgrades on and their timer active. Then
#   upgrade   apt's nightly jobs (apt-daily, apt-daily-upgrade) fetch the next release from
#             the repository, served by this script on 127.0.0.1 and reached through qemu's
#             user network as http://10.0.2.100/ (the guest reaches nothing else), and install
#             it over the running logger: a clean stop, the config kept, the new process
#             running and writing its heartbeat, every reading kept. Then
#   power cut the logger runs on (commits every 10 s) until this script kills qemu with
#             SIGKILL at a random moment: the guest's page cache is lost exactly as in a
#             power cut (nothing is flushed, the ext4 journal is left unclean). The same card
#             boots again; the readings lost must be within README's window (the
#             commit interval plus the reading being polled).
#   broken    on the image given (built without a repository: no source entry; the update
#             part held as it was, Debian's security updates on): a bad install code and a misspelt key: config-error LED and a
#             message naming the file and the keys, never the secret.
#
# The guest has a gpio-leds "ACT" LED (added to qemu's device tree), so the logger's sysfs
# backend drives a real kernel LED class device through the image's udev rule. A test-only
# unit (image/test/, written into the copy, never into the image) reports on the serial
# console and powers off; the copy's root file system is then read back with debugfs.
#
#   image/test-boot.sh [IMAGE]     IMAGE built without a repository (default: the image
#                                  this checkout built last, image/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
source cross/lib.sh
source image/lib.sh

plain_img=${1:-$(cat "$image_out/latest" 2>/dev/null || true)}
[ -f "$plain_img" ] || die "no image: run image/build.sh first"

need_packages mtools e2fsprogs fdisk python3 device-tree-compiler reprepro gnupg dpkg-dev socat
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
# The value of a "TEST-REPORT <name> <value>" line of the console log of the last boot.
# (The console prefixes each journal line with the time and the unit.)
report() { sed -n "s/.*TEST-REPORT $1 //p" "$console" | tr -d '\r' | tail -n1; }
contains() { [[ $1 == *"$2"* ]]; }
flickers() { [[ $1 == *0* && $1 == *1* ]]; }
absent_from_console() { ! grep -qF -- "$1" "$console"; }
# Reads a file of the copy's root file system (debugfs: no mount needed).
guest_file() { debugfs -R "cat $1" "$dir/disk.img?offset=$root_offset" 2>/dev/null; }
guest_mode() {
    debugfs -R "stat $1" "$dir/disk.img?offset=$root_offset" 2>/dev/null |
        sed -n 's/.*Mode: *\([0-7]*\).*/\1/p'
}

# ---- the program's repository and an image built with it
# The image carries this checkout's package, release A; the repository has A in stable and
# canary, and its next release B (A repacked, image/lib.sh) in canary, the suite good.toml
# follows. The guest reaches it at an address of qemu's user network forwarded to the
# server (the host's own 10.0.2.2 would let the guest reach every port of the host).
repo=$image_out/boot-test/repository
repo_address=10.0.2.100
rm -rf "$repo"
mkdir -p "$repo"
key=$(test_signing_key "$repo/gnupg" program)
GNUPGHOME=$repo/gnupg gpg --batch --export --output "$repo/keyring.gpg" "$key"
bash image/build.sh --apt-url "http://$repo_address/" --apt-key "$repo/keyring.gpg" \
    --out "$image_out/with-repository" --no-xz
repo_img=$(cat "$image_out/with-repository/latest")
shopt -s nullglob
debs=(target/dist/rainforest-logger_*_arm64.deb)
[ ${#debs[@]} -eq 1 ] || die "expected one arm64 package in target/dist/ (image/build.sh makes it)"
cp "${debs[0]}" "$repo/"
deb_a=$repo/${debs[0]##*/}
version_a=$(dpkg-deb -f "$deb_a" Version)
deb_b=$(next_release "$deb_a" "$repo")
version_b=$(dpkg-deb -f "$deb_b" Version)
publish() { GNUPGHOME=$repo/gnupg bash cross/publish-repo.sh --key "$key" --repo "$repo/apt" "$@" >/dev/null; }
publish include canary "$deb_a"
publish promote "$version_a"
publish include canary "$deb_b"
cmp -s "$repo/keyring.gpg" "$repo/apt/public/rainforest-logger-archive-keyring.gpg" ||
    die "the repository's key is not the one given to image/build.sh"
echo "== test repository (throw-away key $key): $version_a in stable, $version_b in canary"

# Serves the repository on 127.0.0.1 (a port of its own) while this script runs.
python3 - "$repo/apt/public" >"$repo/http.port" 2>"$repo/http.log" <<'EOF' &
import functools, http.server, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
print(server.server_address[1], flush=True)
server.serve_forever()
EOF
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    [ -s "$repo/http.port" ] && break
    sleep 0.1
done
port=$(cat "$repo/http.port")
[ -n "$port" ] || die "the repository's HTTP server did not start: $(cat "$repo/http.log")"

# Copies IMAGE, puts CONFIG on its boot partition and the test units on its root, and
# prepares the machine; leaves disk.img in $dir. The guest's network is none or the
# repository (qemu's user network, restricted: only $repo_address:80, forwarded to the server).
# Each FILE=CONTENT goes to the root too (the report's optional steps).
#   prepare IMAGE NAME CONFIG EXPECT none|repository [FILE=CONTENT]...
prepare() {
    local image=$1 name=$2 config=$3 expect=$4 network=$5
    shift 5
    dir=$image_out/boot-test/$name
    rm -rf "$dir"
    mkdir -p "$dir"
    cp --sparse=always "$image" "$dir/disk.img"
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
    local files='' file n=0
    for file in "$@"; do
        n=$((n + 1))
        printf '%s\n' "${file#*=}" >"$dir/file-$n"
        files+="write $dir/file-$n ${file%%=*}"$'\n'
    done
    debugfs -w -f - "$dir/disk.img?offset=$root_offset" >/dev/null 2>&1 <<EOF
write image/test/rainforest-test-eagle.service /etc/systemd/system/rainforest-test-eagle.service
write $sim_bin /usr/local/bin/rainforest-eagle-sim
sif /usr/local/bin/rainforest-eagle-sim mode 0100755
write image/test/rainforest-test-report.service /etc/systemd/system/rainforest-test-report.service
write image/test/rainforest-test-report /usr/local/sbin/rainforest-test-report
sif /usr/local/sbin/rainforest-test-report mode 0100755
write $dir/expect /etc/rainforest-test-expect
${files}symlink /etc/systemd/system/multi-user.target.wants/rainforest-test-eagle.service /etc/systemd/system/rainforest-test-eagle.service
symlink /etc/systemd/system/multi-user.target.wants/rainforest-test-report.service /etc/systemd/system/rainforest-test-report.service
EOF
    [ "$(guest_mode /usr/local/sbin/rainforest-test-report)" = 0755 ] ||
        die "could not add the test units to $dir/disk.img"
    [ "$(guest_mode /usr/local/bin/rainforest-eagle-sim)" = 0755 ] ||
        die "could not add the simulator $sim_bin to $dir/disk.img"
    for file in "$@"; do
        [ -n "$(guest_file "${file%%=*}")" ] || die "could not add ${file%%=*} to $dir/disk.img"
    done

    # The image's own kernel command line, with the Pi's serial console swapped for virt's
    # and the journal copied to it (the assertions read it).
    cmdline=$(sed -e 's/console=[^ ]*//g' "$dir/cmdline.txt" | tr -s ' ')
    cmdline="$cmdline console=ttyAMA0 systemd.journald.forward_to_console=1"
    local nic=(-nic none)
    # virtio-mmio: the PCI card would want an option ROM the guest has no use for.
    [ "$network" = none ] || nic=(-device "virtio-net-device,netdev=net" -netdev
        "user,id=net,restrict=on,guestfwd=tcp:$repo_address:80-cmd:socat - TCP:127.0.0.1:$port")
    machine=(-M virt -cpu cortex-a72 -smp 2 -m 1024 -nographic -no-reboot "${nic[@]}"
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
}

# Boots the prepared card until the guest powers off, with its console in $dir/LOG; with
# "cut", until the report says "power-cut armed", then 5-14 s more (a random moment of the
# 10 s commit interval), and then SIGKILLs qemu: the power cut, the guest's page cache gone.
#   power_on LOG [cut]
power_on() {
    console=$dir/$1
    local mode=${2:-} started=$SECONDS
    echo "== boot: ${dir##*/}, $1 (expecting LED state: $(cat "$dir/expect"))"
    rm -f "$dir/qemu.pid"
    timeout 900 qemu-system-aarch64 "${machine[@]}" -dtb "$dir/virt-led.dtb" \
        -kernel "$dir/vmlinuz" -initrd "$dir/initrd.img" -append "$cmdline" \
        -pidfile "$dir/qemu.pid" </dev/null >"$console" 2>&1 &
    local vm=$!
    if [ "$mode" = cut ]; then
        until grep -q 'TEST-REPORT power-cut armed' "$console"; do
            kill -0 "$vm" 2>/dev/null || break
            sleep 0.5
        done
        if kill -0 "$vm" 2>/dev/null; then
            sleep $((5 + RANDOM % 10))
            kill -KILL "$(cat "$dir/qemu.pid")"
            echo "   power cut: qemu killed (SIGKILL) $((SECONDS - started))s after it started"
        fi
    fi
    wait "$vm" || true
    boot_seconds=$((SECONDS - started))
    echo "   guest ran ${boot_seconds}s; console: $console"
    sed -n 's/.*TEST-REPORT /   /p' "$console" | tr -d '\r' | grep -v '^   tick ' || true
    local last='done'
    [ "$mode" = cut ] && last='power-cut armed'
    if ! grep -q "TEST-REPORT $last" "$console"; then
        tail -n 60 "$console"
        die "the ${dir##*/} boot did not finish its report"
    fi
}

# ---- good, then upgrade, then power cut: the image built with the repository
prepare "$repo_img" good image/test/good.toml healthy repository \
    "/etc/rainforest-test-upgrade=$version_b" /etc/rainforest-test-power-cut=yes
power_on console.log cut
check "the logger's systemd status is healthy" contains "$(report status-text)" "LED healthy:"
check "the logger said which file it read" \
    grep -q 'config /boot/firmware/rainforest-logger.toml' "$console"
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
check "the source entry follows update.channel" test "$(report apt-suite)" = canary
check "the source entry is Signed-By the program's key" \
    test "$(report apt-signed-by)" = "$apt_keyring"
check "unattended upgrades are on" test "$(report unattended-upgrade)" = 1
check "provision said so" grep -q 'update: canary nightly at' "$console"
check "the unattended-upgrades timer is active" test "$(report "timer apt-daily-upgrade")" = active

# The upgrade, by apt's nightly jobs in the guest.
check "the image runs $version_a" test "$(report upgrade-version-before)" = "$version_a"
check "canary offers $version_b" test "$(report upgrade-offered)" = "$version_b"
check "apt's nightly jobs installed $version_b ($(report upgrade-took-s) s)" \
    test "$(report upgrade-version-after)" = "$version_b"
check "the guest fetched it from the repository" grep -q "GET /pool/.*${version_b}_arm64.deb" "$repo/http.log"
check "unattended-upgrade said so" contains "$(report upgrade-apt-log)" "Packages that will be upgraded: rainforest-logger"
check "the running logger was stopped cleanly (systemd: $(report upgrade-old-end))" \
    test "$(report upgrade-old-end)" = "rainforest-logger.service: Deactivated successfully."
check "its last words were 'stopped' (readings committed)" \
    contains "$(report upgrade-old-last-log)" stopped
check "the new one found no journal to replay (the stop committed it)" \
    test "$(report upgrade-new-replayed)" = 0
check "the logger was restarted (PID $(report upgrade-pid-before) → $(report upgrade-pid-after))" \
    test "$(report upgrade-pid-after)" -gt 0 -a "$(report upgrade-pid-after)" != "$(report upgrade-pid-before)"
check "the service is active and enabled" test "$(report upgrade-unit-after)" = "active enabled"
check "the household's config is unchanged" \
    test "$(report upgrade-config-after)" = "$(report upgrade-config-before)"
check "the packaged config stays removed (conffile kept as the image left it)" \
    test "$(report upgrade-packaged-config)" = absent
read -r readings_before readings_after < <(echo "$(report upgrade-readings-before) $(report upgrade-readings-after)")
check "the buffer kept its readings ($readings_before before, $readings_after after)" \
    test "$readings_after" -ge "$readings_before" -a "$readings_before" -ge 3
# B differs from A in its Debian revision only: both binaries say the same release.
read -r beat_version beat_uptime < <(report upgrade-heartbeat)
check "the new process writes the heartbeat (version $beat_version, up ${beat_uptime:-?} s; $(report upgrade-binary))" \
    test "$beat_version" = "${version_b%-*}" -a "${beat_uptime:-x}" -le "$(report upgrade-since-restart-s)"

# The power cut: the last time the guest printed before qemu was killed.
cut_ms=$(grep -o 'TEST-REPORT tick [0-9]*' "$console" | tail -n1 | awk '{ print $3 }')
check "the guest ran up to the cut (last tick at ${cut_ms:-none} ms)" test -n "$cut_ms"
cut_boot_seconds=$boot_seconds
power_on after-cut.log
check "the same card boots after the cut, the logger healthy" \
    contains "$(report after-cut-status)" "LED healthy:"
check "the cut left the root's ext4 journal to recover (a real power cut)" \
    contains "$(report after-cut-fs)" "recover"
echo "   the logger's start after the cut: $(report after-cut-replay)"
after_cut_boot_seconds=$boot_seconds

# Read back from the card after its clean power-off.
debugfs -R "dump /var/lib/rainforest-logger/readings.db $dir/readings.db" \
    "$dir/disk.img?offset=$root_offset" >/dev/null 2>&1
debugfs -R "dump /var/lib/rainforest-logger/readings.db-wal $dir/readings.db-wal" \
    "$dir/disk.img?offset=$root_offset" >/dev/null 2>&1 || true
[ -s "$dir/readings.db-wal" ] || rm -f "$dir/readings.db-wal"
# Every reading, and those of the boot that was cut (the first boot_id by seq): how many,
# the newest one's time.
read -r rows demand_rows first_ms min_seq max_seq cut_rows cut_newest_ms < <(python3 - "$dir/readings.db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows, demand, first_ms, lo, hi = db.execute(
    "SELECT count(*), count(demand_kw), min(monotonic_ms), min(seq), max(seq) FROM readings").fetchone()
cut = db.execute("SELECT count(*), max(time_ms) FROM readings WHERE boot_id = "
                 "(SELECT boot_id FROM readings ORDER BY seq LIMIT 1)").fetchone()
print(rows, demand, first_ms, lo, hi, *cut)
EOF
)
check "the database on the card holds the readings ($rows rows)" test "$rows" -ge 3
check "every reading has a demand value" test "$demand_rows" = "$rows"
check "no seq missing or reused (seq $min_seq..$max_seq, $rows rows)" \
    test "$min_seq" = 1 -a "$max_seq" = "$rows"
echo "   first reading stored $((first_ms / 1000)) s after the kernel started (emulated)"
# README's window: the readings of the last storage.commit_interval plus the one being polled.
# The logger commits at the first poll after the interval is up, so the newest committed
# reading is at most an interval and a poll old, plus the time that poll and its fsync take
# (allowed: 1 s, under emulation).
commit_s=$(sed -n 's/^commit_interval = "\([0-9]*\)s".*/\1/p' image/test/good.toml)
poll_s=$(sed -n 's/^poll_interval = "\([0-9]*\)s".*/\1/p' image/test/good.toml)
lost_ms=$((cut_ms - cut_newest_ms))
# The last tick seen is the cut to within a tick (0.5 s) and the serial console's lag: a
# reading stored after it makes the figure negative, which is nothing lost (down to 1.5 s;
# further would mean the clocks disagree).
lost_s=$(awk -v ms="$lost_ms" 'BEGIN { printf "%.3f", ms / 1000 }')
lost_polls=$((lost_ms > 0 ? lost_ms / (poll_s * 1000) : 0))
check "the power cut lost $lost_s s of readings (about $lost_polls of $cut_rows), within the ${commit_s} s commit interval + one ${poll_s} s poll + 1 s" \
    test "$lost_ms" -ge -1500 -a "$lost_ms" -le $(((commit_s + poll_s + 1) * 1000))
wpa=$(guest_file /etc/wpa_supplicant/wpa_supplicant-wlan0.conf)
ssid_hex=$(printf '%s' "CI test network" | od -An -tx1 | tr -d ' \n')
check "Wi-Fi configured for the SSID (hex)" contains "$wpa" "ssid=$ssid_hex"
check "Wi-Fi country set" contains "$wpa" "country=GB"
check "the Wi-Fi file is mode 0600" test "$(guest_mode /etc/wpa_supplicant/wpa_supplicant-wlan0.conf)" = 0600
check "the staff key is authorized" contains "$(guest_file /root/.ssh/authorized_keys)" "ci-boot-test@"
check "SSH host keys were made on this card" contains "$(guest_file /etc/ssh/ssh_host_ed25519_key.pub)" "ssh-ed25519"
check "the card got its own machine id" test -n "$(guest_file /etc/machine-id)"
check "the program's key is on the card" test -n "$(guest_file "$apt_keyring")"
check "upgrades at the household's night time" contains \
    "$(guest_file /etc/systemd/system/apt-daily-upgrade.timer.d/rainforest-logger.conf)" "OnCalendar=*-*-* 0"

# ---- broken: a config the logger must refuse, clearly, on the image without a repository
prepare "$plain_img" broken image/test/broken.toml "config error" none
power_on console.log
check "the logger's systemd status is config error" contains "$(report status-text)" "LED config error:"
check "the message names the file and the bad install code" \
    grep -q '/boot/firmware/rainforest-logger.toml.*eagle.install_code\|eagle.install_code.*rainforest-logger.toml' "$console"
check "the message names the misspelt key" grep -q 'eagle.pol_interval' "$console"
check "the install code is never on the console" absent_from_console c0ffee42beef
samples=$(report led-samples)
check "the LED flickers (config error), samples $samples" flickers "$samples"
check "the logger keeps running, waiting for a fixed file" \
    test "$(report "unit rainforest-logger")" = active
check "SSH stays off without a key" test "$(report "unit ssh")" = inactive
check "no source entry in an image built without a repository" \
    test -z "$(report apt-suite)" -a -z "$(guest_file "$apt_source")" -a -z "$(guest_file "$apt_keyring")"
# The misspelt key holds provision's update part as it was (as Wi-Fi and SSH are held), so
# the image's own setting stays: Debian's 20auto-upgrades until a correct file is read.
check "provision held the update part of a file with an unknown key" \
    grep -q 'update: left as it was (the file has unknown sections or keys' "$console"
check "the unattended-upgrades timer is active (Debian's own schedule)" \
    test "$(report "timer apt-daily-upgrade")" = active

echo "== boot test: good + upgrade ${cut_boot_seconds}s until the cut, after the cut ${after_cut_boot_seconds}s, broken ${boot_seconds}s (emulated)"
[ "$failures" -eq 0 ] || die "$failures boot-test checks failed"
echo "== boot test passed"
