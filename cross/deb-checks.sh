#!/bin/sh
# Runs inside a fresh arm64 Debian root (cross/test-deb.sh), with the package and the unit
# file from config/ in /tmp: installs the package as it lands on a Pi, checks what it set
# up, then removes and purges it.
set -eu

deb=$1
user=rainforest-logger
config=/etc/rainforest-logger/config.toml
state=/var/lib/rainforest-logger
unit=/usr/lib/systemd/system/rainforest-logger.service
wants=/etc/systemd/system/multi-user.target.wants/rainforest-logger.service

ok() { echo "ok: $*"; }
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
as_user() {
    who=$1
    shift
    setpriv --reuid="$who" --regid="$(id -g "$who")" --init-groups -- "$@"
}
owner_and_mode() { stat -c '%U:%G %a' "$1"; }

[ ! -d /run/systemd/system ] || fail "systemd must not seem to run here"
# dpkg refuses unmet Depends (the glibc floor, passwd) and fails if postinst does.
dpkg -i "$deb"
ok "installed $(dpkg-query -W -f '${Package} ${Version} ${Architecture}' rainforest-logger)"

id -nG "$user" | tr ' ' '\n' | grep -qx gpio || fail "$user is not in group gpio"
[ "$(getent passwd "$user" | cut -d: -f6,7)" = "$state:/usr/sbin/nologin" ] ||
    fail "$user: $(getent passwd "$user")"
ok "system user: $(id "$user")"

cmp "$unit" /tmp/rainforest-logger.service || fail "$unit is not config/rainforest-logger.service"
[ -L "$wants" ] && cmp "$wants" "$unit" || fail "the unit is not enabled ($wants)"
[ -f /usr/lib/udev/rules.d/99-rainforest-logger-led.rules ] || fail "no udev rule"
ok "unit installed and enabled, udev rule installed"

dpkg-query -W -f '${Conffiles}\n' rainforest-logger | grep -q "^ $config " ||
    fail "$config is not a conffile"
[ "$(owner_and_mode "$config")" = "$user:$user 600" ] || fail "$config: $(owner_and_mode "$config")"
[ "$(owner_and_mode "$state")" = "$user:$user 750" ] || fail "$state: $(owner_and_mode "$state")"
if as_user nobody cat "$config" >/dev/null 2>&1; then fail "others can read $config"; fi
ok "config (conffile) and state directory belong to $user alone"

version=$(rainforest-logger --version)
case "$version" in
    "rainforest-logger "*" aarch64-unknown-linux-gnu)") ok "$version" ;;
    *) fail "--version: $version" ;;
esac

# check-config on the packaged file as the service reads it: a broken value is caught
# (exit 1, naming the key), the edited file passes.
sed -i 's/^id = .*/id = "not a household id!"/' "$config"
status=0
out=$(as_user "$user" rainforest-logger check-config "$config" 2>&1) || status=$?
[ "$status" = 1 ] && echo "$out" | grep -q household.id || fail "broken config: exit $status: $out"
sed -i 's/^id = .*/id = "pi-0042"/' "$config"
as_user "$user" rainforest-logger check-config "$config" || fail "edited config rejected"
ok "check-config: edited $config accepted, broken one refused"

dpkg -r rainforest-logger
[ ! -e /usr/bin/rainforest-logger ] && [ -f "$config" ] || fail "remove: binary kept or config lost"
dpkg --purge rainforest-logger
[ ! -e "$config" ] && [ ! -e "$state" ] && [ ! -L "$wants" ] &&
    [ ! -L /etc/systemd/system/rainforest-logger.service ] || fail "purge left files or links behind"
! dpkg-statoverride --list "$config" >/dev/null || fail "purge left the statoverride"
getent passwd "$user" >/dev/null || fail "purge removed the system user"
ok "remove keeps the config; purge removes config, state and unit links, keeps the user"
