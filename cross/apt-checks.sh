#!/bin/sh
# Runs inside the arm64 Debian root of cross/test-apt.sh, one step per call, as a box would
# live through them: the program's repository is /srv/apt/public (a file: source entry with
# Signed-By, as image/build.sh writes one), the image's unattended-upgrades settings are in
# /etc/apt/apt.conf.d/. No systemd runs here, so apt's daily jobs are started the way their
# units start them (/usr/lib/apt/apt.systemd.daily update, then install).
#
#   apt-checks.sh install PORT           apt installs the logger, edits its config, and the
#                                         logger records readings from the simulator on PORT
#   apt-checks.sh nightly CHANNEL VERSION [LOG_PATTERN]
#                                         provision applies update.channel = CHANNEL, apt's
#                                         nightly jobs run; then VERSION is installed, the
#                                         config and every reading are as they were, the
#                                         unit is enabled, and the jobs' log matches
#                                         LOG_PATTERN (grep -E) if given
set -eu

user=rainforest-logger
config=/etc/rainforest-logger/config.toml
wants=/etc/systemd/system/multi-user.target.wants/rainforest-logger.service
log=/tmp/nightly.log

ok() { echo "ok: $*"; }
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
as_user() { setpriv --reuid="$user" --regid="$user" --init-groups -- "$@"; }
installed() { dpkg-query -W -f '${Version}' rainforest-logger 2>/dev/null || true; }
# The buffer as the logger reports it (count, oldest and newest reading), and the config.
buffer() { as_user rainforest-logger status --config "$config" | grep -E '^(readings stored|last reading)'; }
snapshot() { { sha256sum "$config"; buffer; } >"/tmp/snapshot.$1"; }

case "$1" in
    install)
        port=$2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rainforest-logger >/dev/null
        ok "apt installed rainforest-logger $(installed) from $(apt-cache policy rainforest-logger | awk '/\*\*\*/ { getline; print $2, $3 }')"
        # The household's edits: this box, the simulated EAGLE, a directory bucket, no LED.
        sed -i -e 's/^id = .*/id = "pi-upgrade-0042"/' -e "s/^host = .*/host = \"127.0.0.1:$port\"/" \
            -e 's/^poll_interval = .*/poll_interval = "1s"/' \
            -e 's|^endpoint = .*|endpoint = "file:///var/lib/rainforest-logger/bucket"|' \
            -e 's/^backend = .*/backend = "none"/' -e 's/^require_sync = .*/require_sync = false/' \
            "$config"
        as_user rainforest-logger check-config "$config" >/dev/null || fail "edited config rejected"
        rainforest-eagle-sim simulate --listen "127.0.0.1:$port" --meter-update 1s >/tmp/simulator.log 2>&1 &
        simulator=$!
        # What the unit's RuntimeDirectory= makes under systemd (absent here): the shipped
        # config keeps the readings journal there (storage.journal_dir).
        install -d -m 0700 -o "$user" -g "$user" /run/rainforest-logger
        # Not through as_user: $! must be the logger itself (setpriv execs it), not a subshell.
        setpriv --reuid="$user" --regid="$user" --init-groups -- \
            rainforest-logger run --config "$config" >/tmp/logger.log 2>&1 &
        logger=$!
        # Neither outlives this step, whatever happens.
        trap 'kill "$simulator" "$logger" 2>/dev/null || true' EXIT
        # A few readings (the logger polls every second; qemu-user is slow to start).
        for _ in $(seq 60); do
            stored=$(as_user rainforest-logger status --config "$config" 2>/dev/null | awk '/^readings stored/ { print $3 }')
            [ "${stored:-0}" -lt 5 ] || break
            sleep 1
        done
        # SIGTERM, as systemd stops it: the logger commits and exits.
        kill -TERM "$logger"
        wait "$logger" || fail "the logger did not exit cleanly on SIGTERM: $(tail -n 5 /tmp/logger.log)"
        kill "$simulator"
        stored=$(buffer | awk '/^readings stored/ { print $3 }')
        [ "${stored:-0}" -ge 5 ] || fail "only ${stored:-no} readings stored: $(tail -n 5 /tmp/logger.log)"
        ok "the logger stored $stored readings in its buffer"
        ;;
    nightly)
        channel=$2 version=$3 pattern=${4:-}
        # As a household edits the boot-partition file; provision applies it at boot.
        sed -i '/^\[update\]$/,$d' "$config"
        printf '[update]\nchannel = "%s"\n' "$channel" >>"$config"
        rainforest-logger provision --config "$config" --root / >/tmp/provision.log 2>&1 ||
            fail "provision: $(cat /tmp/provision.log)"
        grep -q '^Suites: ' /etc/apt/sources.list.d/rainforest-logger.sources || fail "no Suites: line left"
        if [ "$channel" = off ]; then
            # Off must hold back a version the suite does offer.
            apt-get update -qq 2>/dev/null
            candidate=$(apt-cache policy rainforest-logger | awk '/Candidate:/ { print $2 }')
            [ "$candidate" != "$(installed)" ] || fail "the suite offers nothing newer: off proves nothing"
        fi
        snapshot before
        # The stamps say the jobs ran today; a box's next night has none that are fresh.
        rm -f /var/lib/apt/periodic/*-stamp
        {
            /usr/lib/apt/apt.systemd.daily update
            /usr/lib/apt/apt.systemd.daily install
        } >"$log" 2>&1 || true
        cat /var/log/unattended-upgrades/unattended-upgrades.log >>"$log" 2>/dev/null || true
        rm -f /var/log/unattended-upgrades/unattended-upgrades.log
        [ "$(installed)" = "$version" ] || fail "channel $channel: $(installed) installed, expected $version; log: $(cat "$log")"
        snapshot after
        cmp -s /tmp/snapshot.before /tmp/snapshot.after ||
            fail "config or buffer changed: $(diff /tmp/snapshot.before /tmp/snapshot.after)"
        [ -L "$wants" ] || fail "the unit is not enabled ($wants)"
        if [ -n "$pattern" ]; then
            grep -qE "$pattern" "$log" || fail "the log does not say /$pattern/: $(cat "$log")"
        fi
        ok "channel $channel: $version installed, config and $(awk '/^readings stored/ { print $3 }' /tmp/snapshot.after) readings unchanged, unit enabled${pattern:+, log says /$pattern/}"
        ;;
    *) fail "unknown step $1" ;;
esac
