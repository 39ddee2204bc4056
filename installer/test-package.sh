#!/usr/bin/env bash
# The package as a shop would use it (CI runs this; it needs root and apt): builds it with
# installer/build.sh, lints it, installs it with apt, runs the installed binary (--version,
# `api` on a fresh store, the window under Xvfb found by its title), checks the units are
# there and disabled, then removes and purges it and checks that nothing of it is left in
# /usr while the user's data stays.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
export DEBIAN_FRONTEND=noninteractive

echo "== package: tools"
apt-get update -qq
apt-get install -y -qq --no-install-recommends xvfb xdotool lintian dpkg-dev libgl1-mesa-dri >/dev/null
if ! command -v cargo-deb >/dev/null; then
  cargo install cargo-deb --locked --version 3.8.0
fi

echo "== package: build"
installer/build.sh
deb=$(ls -t "$PWD"/target/debian/customer-desk_*.deb | head -1)
echo "built $deb ($(du -h "$deb" | cut -f1))"
dpkg-deb --info "$deb" | sed -n '/Package:/,$p'

echo "== package: lintian"
# Fails on errors; warnings are printed (README, "Install", lists the ones left and why).
lintian --fail-on error --tag-display-limit 0 "$deb"

work=$(mktemp -d)
xvfb_pid=
app_pid=
cleanup() {
  [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null || true
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true
  rm -rf "$work"
  # Leave no installed package behind, whatever failed.
  dpkg -s customer-desk >/dev/null 2>&1 && apt-get purge -y -qq customer-desk >/dev/null || true
}
trap cleanup EXIT

echo "== package: install"
apt-get install -y -qq "$deb" >/dev/null
[ "$(command -v customer-desk)" = /usr/bin/customer-desk ]
version=$(customer-desk --version)
echo "$version"
want="customer-desk $(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1) (revision $(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown))"
[ "$version" = "$want" ] || { echo "expected: $want" >&2; exit 1; }
getent passwd customer-desk >/dev/null
[ -d /var/lib/customer-desk ] && [ -d /var/backups/customer-desk ]
for unit in customer-desk-server.service customer-desk-backup.service customer-desk-backup.timer; do
  [ -f "/lib/systemd/system/$unit" ] || [ -f "/usr/lib/systemd/system/$unit" ]
  state=$(systemctl is-enabled "$unit" 2>/dev/null || true)
  echo "$unit: ${state:-unknown}"
  [ "$state" != enabled ] || { echo "$unit is enabled" >&2; exit 1; }
done
units=$(ls /lib/systemd/system/customer-desk-* /usr/lib/systemd/system/customer-desk-* 2>/dev/null | sort -u)
systemd-analyze verify $units
[ -f /usr/share/man/man1/customer-desk.1.gz ] && [ -f /usr/share/man/man1/customer-desk-backup.1.gz ]
[ -f /usr/share/bash-completion/completions/customer-desk ]
[ -f /usr/share/applications/customer-desk.desktop ]

echo "== package: the installed binary"
export HOME=$work/home XDG_DATA_HOME=$work/home/data XDG_CONFIG_HOME=$work/home/config
mkdir -p "$HOME"
db=$work/shop.db
echo '{"firstName": "Ján", "lastName": "Novák"}' | customer-desk --db "$db" api POST /customers - >/dev/null
found=$(customer-desk --db "$db" api GET '/customers?Search=novak&$take=5')
grep -q '"lastName": "Novák"' <<<"$found" || { echo "api did not find the customer: $found" >&2; exit 1; }
customer-desk --db "$db" backup --to "$work/backups" --keep 2 >/dev/null
ls "$work/backups"/shop-*.db >/dev/null

echo "== package: the server's store, its backup and an upgrade"
# As the backup unit runs it: the service's user, in the folders postinst made.
as_service() { runuser -u customer-desk -- /usr/bin/customer-desk --db /var/lib/customer-desk/customers.db "$@"; }
echo '{"firstName": "Eva", "lastName": "Malá"}' | as_service api POST /customers - >/dev/null
as_service backup --to /var/backups/customer-desk --keep 14 >/dev/null
ls /var/backups/customer-desk/customers-*.db >/dev/null
echo "# a setting of this shop" >> /etc/default/customer-desk
apt-get install -y -qq --reinstall "$deb" >/dev/null
grep -q "a setting of this shop" /etc/default/customer-desk || { echo "the upgrade lost /etc/default/customer-desk" >&2; exit 1; }
as_service restore /var/backups/customer-desk 2>/dev/null
found=$(as_service api GET '/customers?Search=mala')
grep -q '"lastName": "Malá"' <<<"$found" || { echo "the server's store did not survive: $found" >&2; exit 1; }

echo "== package: the installed window under Xvfb"
display=:${DISPLAY_NUM:-98}
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
export DISPLAY=$display
unset WAYLAND_DISPLAY
for _ in $(seq 1 100); do xdotool getdisplaygeometry >/dev/null 2>&1 && break; sleep 0.1; done
/usr/bin/customer-desk --db "$db" >"$work/window.log" 2>&1 &
app_pid=$!
wid=
for _ in $(seq 1 300); do
  wid=$(xdotool search --onlyvisible --name '^Customer Desk$' 2>/dev/null | head -1 || true)
  [ -n "$wid" ] && break
  kill -0 "$app_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$wid" ] || { echo "the installed window did not appear" >&2; cat "$work/window.log" >&2; exit 1; }
echo "window $wid: $(xdotool getwindowname "$wid")"
sleep 1
kill -0 "$app_pid" || { echo "the window closed by itself" >&2; cat "$work/window.log" >&2; exit 1; }
kill "$app_pid"; wait "$app_pid" 2>/dev/null || true; app_pid=
kill "$xvfb_pid"; wait "$xvfb_pid" 2>/dev/null || true; xvfb_pid=

echo "== package: remove and purge"
apt-get remove -y -qq customer-desk >/dev/null
[ -f /etc/default/customer-desk ] || { echo "remove took the settings" >&2; exit 1; }
apt-get purge -y -qq customer-desk >/dev/null
left=$(find /usr /etc -name '*customer-desk*' 2>/dev/null || true)
[ -z "$left" ] || { echo "left behind:" >&2; echo "$left" >&2; exit 1; }
[ -f "$db" ] || { echo "the user's store went with the package" >&2; exit 1; }
[ -d /var/lib/customer-desk ] || { echo "the server's data folder went with the package" >&2; exit 1; }
echo "== package: passed in $((SECONDS - start)) s"
