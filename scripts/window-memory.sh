#!/usr/bin/env bash
# The real window's memory under Xvfb, drawn by Mesa's software renderer (llvmpipe), as on
# a machine without a GPU driver. It signs in, pages through the grid, runs two searches and
# opens a customer, and prints the process's resident memory (VmRSS, its peak VmHWM, and
# how much of it is the process's own, RssAnon, or mapped files, RssFile: the binary and the
# GL libraries, shared and reclaimable) after the sign-in and at the end.
#
# Needs: apt-get install -y --no-install-recommends xvfb xdotool
# Usage: scripts/window-memory.sh DB USER PASSWORD   (BIN=target/release/customer-desk)
set -euo pipefail
DB=$1 USER_NAME=$2 PASSWORD=$3
BIN=${BIN:-target/release/customer-desk}
DISPLAY_NUM=${DISPLAY_NUM:-98}
WORK=$(mktemp -d)
Xvfb ":$DISPLAY_NUM" -screen 0 1280x800x24 -nolisten tcp &
XVFB_PID=$!
APP_PID=
cleanup() {
  [ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null || true
  kill "$XVFB_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
export DISPLAY=":$DISPLAY_NUM" HOME=$WORK XDG_DATA_HOME=$WORK/data XDG_CONFIG_HOME=$WORK/config
unset WAYLAND_DISPLAY
sleep 1
"$BIN" --db "$DB" >"$WORK/log" 2>&1 &
APP_PID=$!
WID=
for _ in $(seq 1 100); do
  WID=$(xdotool search --onlyvisible --name '^Customer Desk$' 2>/dev/null | head -1 || true)
  [ -n "$WID" ] && break
  sleep 0.1
done
[ -n "$WID" ] || { echo "the window did not appear" >&2; exit 1; }
xdotool windowmove --sync "$WID" 0 0; xdotool windowsize --sync "$WID" 1280 800
xdotool windowfocus --sync "$WID"; sleep 1
memory() {
  grep -E "VmHWM|VmRSS|RssAnon|RssFile" "/proc/$APP_PID/status" | awk '{printf "%s %d MB  ", $1, $2/1024}'
  echo " $1"
}
xdotool type --delay 30 "$USER_NAME"; xdotool key Tab; xdotool type --delay 30 "$PASSWORD"
xdotool key Return; sleep 6
memory "after the sign-in"
for _ in $(seq 1 20); do xdotool key Page_Down; sleep 0.2; done
xdotool key ctrl+f; xdotool type --delay 60 nov; sleep 3
xdotool key ctrl+a BackSpace; xdotool type --delay 60 kovac; sleep 3
xdotool key Escape Down Return; sleep 2
memory "after paging, two searches and an open customer"
