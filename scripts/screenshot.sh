#!/usr/bin/env bash
# Screenshots of the real window under Xvfb: the first start, the sign-in screen, the grid,
# a search, and the editor. It installs nothing; it needs these packages:
#
#   apt-get install -y --no-install-recommends xvfb imagemagick xdotool
#
# Usage: scripts/screenshot.sh [OUT_DIR] [CUSTOMERS]
#   OUT_DIR    where the PNGs go (default docs/screenshots)
#   CUSTOMERS  size of the demo store (default 20000)
# PROFILE=debug uses a debug build instead of release.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT_DIR=${1:-docs/screenshots}
CUSTOMERS=${2:-20000}
PROFILE=${PROFILE:-release}
DISPLAY_NUM=${DISPLAY_NUM:-99}
USER_NAME=owner
PASSWORD=demo-password

for tool in Xvfb xdotool import; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install xvfb imagemagick xdotool" >&2; exit 1; }
done

if [ "$PROFILE" = release ]; then cargo build --release; else cargo build; fi
BIN=target/$PROFILE/customer-desk
mkdir -p "$OUT_DIR"
WORK=$(mktemp -d)
DB=$WORK/customers.db
XVFB_PID=
APP_PID=

cleanup() {
  [ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null || true
  [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "filling a demo store with $CUSTOMERS customers"
"$BIN" --db "$DB" demo --count "$CUSTOMERS"

Xvfb ":$DISPLAY_NUM" -screen 0 1280x800x24 -nolisten tcp &
XVFB_PID=$!
export DISPLAY=":$DISPLAY_NUM"
unset WAYLAND_DISPLAY
for _ in $(seq 1 100); do
  [ -S "/tmp/.X11-unix/X$DISPLAY_NUM" ] && xdotool getdisplaygeometry >/dev/null 2>&1 && break
  sleep 0.1
done
sleep 0.5
# Settings (window size, sort, theme) go to a throw-away home, not the user's.
export HOME=$WORK/home XDG_DATA_HOME=$WORK/home/data XDG_CONFIG_HOME=$WORK/home/config
mkdir -p "$HOME"

# Starts the app and waits for its window; sets WID.
start_app() {
  "$BIN" --db "$DB" &
  APP_PID=$!
  WID=
  for _ in $(seq 1 100); do
    WID=$(xdotool search --onlyvisible --name '^Customer Desk$' 2>/dev/null | head -1 || true)
    [ -n "$WID" ] && break
    sleep 0.1
  done
  [ -n "$WID" ] || { echo "the window did not appear" >&2; exit 1; }
  # No window manager: place the window at the origin and give it the keyboard.
  xdotool windowmove --sync "$WID" 0 0 || true
  xdotool windowsize --sync "$WID" 1280 800 || true
  xdotool windowfocus --sync "$WID"
  # Keep the pointer off the grid so no row shows a hover highlight.
  xdotool mousemove 1279 799
  sleep 1.5
}

stop_app() {
  kill "$APP_PID" 2>/dev/null || true
  wait "$APP_PID" 2>/dev/null || true
  APP_PID=
}

shot() {
  sleep "${2:-1}"
  import -window root "$OUT_DIR/$1.png"
  echo "saved $OUT_DIR/$1.png"
}

type_text() { xdotool type --delay 40 "$1"; }
key() { xdotool key --delay 60 "$@"; }
# egui moves the focus at the end of a frame: let it draw one before typing on.
next_field() { key Tab; sleep 0.3; }

# First start: the owner account (the first field has the keyboard).
start_app
shot first-start
type_text "$USER_NAME"; next_field
type_text "$PASSWORD"; next_field
type_text "$PASSWORD"; key Return
sleep 2
stop_app

# A later start: the sign-in screen, then the grid.
start_app
shot sign-in
type_text "$USER_NAME"; next_field
type_text "$PASSWORD"; key Return
shot grid 2

# Search as you type (Ctrl+F), then open the first match with the keyboard.
key ctrl+f
type_text "nov"
shot search 1
key Escape Down Return
shot editor 1

stop_app
echo "done: $(ls "$OUT_DIR")"
