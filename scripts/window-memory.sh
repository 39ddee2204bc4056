#!/usr/bin/env bash
# The real window's memory under Xvfb, drawn by Mesa's software renderer (llvmpipe), as on
# a machine without a GPU driver. It prints the process's resident memory (VmRSS, its peak
# VmHWM, and how much of it is the process's own, RssAnon, or mapped files, RssFile: the
# binary and the GL libraries, shared and reclaimable).
#
# On a desk's own store it signs in, pages through the grid, runs two searches and opens a
# customer, and prints the memory after the sign-in and at the end. With --first-sync a new
# desk signs in to a shop server and copies its customers; the memory is printed every 10 s
# for SECONDS (default 240), and the window saved at the end to first-sync-end.png.
#
# Needs: apt-get install -y --no-install-recommends xvfb xdotool (and imagemagick for the
# screenshot)
# Usage: scripts/window-memory.sh DB USER PASSWORD
#        scripts/window-memory.sh --first-sync SERVER_URL USER PASSWORD [SECONDS]
#   (BIN=target/release/customer-desk)
# A server to try the second on:
#   customer-desk --db /tmp/big.db demo --count 1000000
#   CUSTOMER_DESK_PASSWORD=... customer-desk --db /tmp/big.db users add clerk --rights customerUpdate
#   customer-desk --db /tmp/big.db serve --bind 127.0.0.1:18080
set -euo pipefail
FIRST_SYNC=
if [ "${1:-}" = --first-sync ]; then FIRST_SYNC=1; shift; fi
TARGET=$1 USER_NAME=$2 PASSWORD=$3 SECONDS_WATCHED=${4:-240}
BIN=${BIN:-target/release/customer-desk}
DISPLAY_NUM=${DISPLAY_NUM:-98}
WORK=$(mktemp -d)
Xvfb ":$DISPLAY_NUM" -screen 0 1280x800x24 -nolisten tcp &
XVFB_PID=$!
APP_PID=
cleanup() {
  [ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null && wait "$APP_PID" 2>/dev/null || true
  kill "$XVFB_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
export DISPLAY=":$DISPLAY_NUM" HOME=$WORK XDG_DATA_HOME=$WORK/data XDG_CONFIG_HOME=$WORK/config
unset WAYLAND_DISPLAY
sleep 1
DB=$TARGET
[ -n "$FIRST_SYNC" ] && DB=$WORK/customers.db
"$BIN" --db "$DB" >"$WORK/log" 2>&1 &
APP_PID=$!
find_window() { xdotool search --onlyvisible --name '^Customer Desk$' 2>/dev/null | head -1 || true; }
WID=
for _ in $(seq 1 100); do
  WID=$(find_window)
  [ -n "$WID" ] && break
  sleep 0.1
done
[ -n "$WID" ] || { echo "the window did not appear" >&2; exit 1; }
# The window can be made again once its GL context is chosen: look for it once more.
sleep 2
WID=$(find_window)
xdotool windowmove --sync "$WID" 0 0; xdotool windowsize --sync "$WID" 1280 800
xdotool windowfocus --sync "$WID"; sleep 1
memory() {
  grep -E "VmHWM|VmRSS|RssAnon|RssFile" "/proc/$APP_PID/status" | awk '{printf "%s %d MB  ", $1, $2/1024}'
  echo " $1"
}
if [ -n "$FIRST_SYNC" ]; then
  # A new desk: "Sign in to a shop server", then the address, the user and the password.
  xdotool key Tab Tab Tab Tab Return; sleep 1
  xdotool type --delay 30 "$TARGET"; xdotool key Tab; sleep 0.3
  xdotool type --delay 30 "$USER_NAME"; xdotool key Tab; sleep 0.3
  xdotool type --delay 30 "$PASSWORD"; xdotool key Return
  for i in $(seq 1 "$SECONDS_WATCHED"); do
    sleep 1
    [ $((i % 10)) -eq 0 ] && memory "at $i s"
  done
  import -window root first-sync-end.png
  echo "saved first-sync-end.png"
  exit 0
fi
xdotool type --delay 30 "$USER_NAME"; xdotool key Tab; xdotool type --delay 30 "$PASSWORD"
xdotool key Return; sleep 6
memory "after the sign-in"
for _ in $(seq 1 20); do xdotool key Page_Down; sleep 0.2; done
xdotool key ctrl+f; xdotool type --delay 60 nov; sleep 3
xdotool key ctrl+a BackSpace; xdotool type --delay 60 kovac; sleep 3
xdotool key Escape Down Return; sleep 2
memory "after paging, two searches and an open customer"
