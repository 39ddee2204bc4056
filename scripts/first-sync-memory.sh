#!/usr/bin/env bash
# The real window's memory during a first sync: a new desk under Xvfb, drawn by Mesa's
# software renderer (llvmpipe), signs in to a shop server and copies its customers. Every
# 10 s it prints the process's resident memory (VmRSS), its peak so far (VmHWM), and how
# much of it is the process's own (RssAnon) or mapped files (RssFile); at the end it saves
# a screenshot of the window's status bar's state to first-sync-end.png.
#
# Needs: apt-get install -y --no-install-recommends xvfb xdotool imagemagick
# Usage: scripts/first-sync-memory.sh SERVER_URL USER PASSWORD [SECONDS]
#   (BIN=target/release/customer-desk; SECONDS, default 240, how long it watches)
# A server to try it on:
#   customer-desk --db /tmp/big.db demo --count 1000000
#   CUSTOMER_DESK_PASSWORD=... customer-desk --db /tmp/big.db users add clerk --rights customerUpdate
#   customer-desk --db /tmp/big.db serve --bind 127.0.0.1:18080
set -euo pipefail
SERVER_URL=$1 USER_NAME=$2 PASSWORD=$3 SECONDS_WATCHED=${4:-240}
BIN=${BIN:-target/release/customer-desk}
DISPLAY_NUM=${DISPLAY_NUM:-97}
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
"$BIN" --db "$WORK/customers.db" >"$WORK/log" 2>&1 &
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
# A new desk: "Sign in to a shop server", then the address, the user and the password.
xdotool key Tab Tab Tab Tab Return; sleep 1
xdotool type --delay 30 "$SERVER_URL"; xdotool key Tab; sleep 0.3
xdotool type --delay 30 "$USER_NAME"; xdotool key Tab; sleep 0.3
xdotool type --delay 30 "$PASSWORD"; xdotool key Return
for i in $(seq 1 "$SECONDS_WATCHED"); do
  sleep 1
  if [ $((i % 10)) -eq 0 ]; then
    grep -E "VmHWM|VmRSS|RssAnon|RssFile" "/proc/$APP_PID/status" |
      awk -v t="$i" '{printf "%s %d MB  ", $1, $2/1024} END {print " at " t " s"}'
  fi
done
import -window root first-sync-end.png
echo "saved first-sync-end.png"
