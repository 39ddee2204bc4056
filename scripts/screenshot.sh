#!/usr/bin/env bash
# Screenshots of the real window under Xvfb: the first start, the sign-in screen, the grid,
# a search, and the editor; then a desk on a shop server (`customer-desk serve` on
# loopback): its first sync with a search on what has arrived, a customer saved on the
# desk while the server is away, and when it is back a conflict and a parked change. It
# installs nothing; it needs these packages:
#
#   apt-get install -y --no-install-recommends xvfb imagemagick xdotool
#
# Usage: scripts/screenshot.sh [OUT_DIR] [CUSTOMERS]
#   OUT_DIR    where the PNGs go (default docs/screenshots)
#   CUSTOMERS  size of the demo store (default 20000)
# PROFILE=debug uses a debug build instead of release. SERVER_CUSTOMERS (default 300000)
# sizes the shop server's store, SERVER_PORT (default 18099) its port on loopback, and
# FIRST_SYNC_SECS (default 40) how long its first sync is given before the server stops.
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
SERVER_PID=

cleanup() {
  [ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null || true
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
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

# A desk on a shop server. The server's store and a clerk first.
SERVER_CUSTOMERS=${SERVER_CUSTOMERS:-300000}
SERVER_PORT=${SERVER_PORT:-18099}
SERVER_DB=$WORK/server.db
echo "filling a shop server's store with $SERVER_CUSTOMERS customers"
"$BIN" --db "$SERVER_DB" demo --count "$SERVER_CUSTOMERS"
CUSTOMER_DESK_PASSWORD=$PASSWORD "$BIN" --db "$SERVER_DB" users add clerk \
  --rights customerCreate,customerUpdate,customerDelete,customerSetCredit
start_server() {
  CUSTOMER_DESK_ADMIN_PASSWORD=$PASSWORD "$BIN" --db "$SERVER_DB" serve \
    --bind "127.0.0.1:$SERVER_PORT" &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$SERVER_PORT") 2>/dev/null && break
    sleep 0.1
  done
}
start_server

# A new desk: from its first start to the server's sign-in (the address takes the keyboard).
DB=$WORK/desk/customers.db
mkdir -p "$WORK/desk"
start_app
key Tab Tab Tab Tab Return
sleep 1
type_text "http://127.0.0.1:$SERVER_PORT"; next_field
type_text clerk; next_field
type_text "$PASSWORD"; key Return
# The first sync runs; the grid already searches what has arrived.
FIRST_SYNC_SEARCH=horvath
sleep 4
key ctrl+f
type_text "$FIRST_SYNC_SEARCH"
shot first-sync 1

# The server goes away once the first sync is done: a customer made now is saved on the
# desk, marked, and waits.
sleep "${FIRST_SYNC_SECS:-40}"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
sleep 2
key ctrl+n
sleep 1
type_text "Olga"; next_field
type_text "Offlinova"
key ctrl+s
shot offline 3

# A conflict and a parked change. While the server is away this desk deletes the grid's
# first customer (the search's first match by full name), whom the server renames
# meanwhile; and the server takes the clerk's right to add customers, so the one made here
# is refused when it arrives.
key Escape; sleep 0.5; key Down; sleep 0.5
key Delete; sleep 1
key Tab space; sleep 1
FIRST=$("$BIN" api --db "$SERVER_DB" GET "/customers?Search=$FIRST_SYNC_SEARCH&\$sort=fullName&\$take=1" |
  grep -o '"id": "[^"]*"' | head -1 | cut -d'"' -f4)
"$BIN" api --db "$SERVER_DB" GET "/customers/$FIRST" |
  sed -E 's/("lastName": "[^"]*)"/\1-Nagy"/; s/("fullName": "[^"]*)"/\1-Nagy"/' >"$WORK/renamed.json"
"$BIN" api --db "$SERVER_DB" PUT "/customers/$FIRST" "$WORK/renamed.json" >/dev/null
"$BIN" --db "$SERVER_DB" users set-rights clerk customerUpdate,customerDelete,customerSetCredit
start_server
# The status bar's buttons, clicked where they are drawn in this 1280-pixel-wide window with
# "Signed in as clerk at http://127.0.0.1:PORT" on their left: "Try now" while offline,
# then "1 conflict" and "1 parked".
click_at() { xdotool mousemove "$1" "$2" click 1; sleep 0.3; xdotool mousemove 1279 799; }
sleep 2
click_at 922 787
sleep 5
click_at 840 787
shot conflict 1
key Escape; sleep 0.5
click_at 912 787
shot parked 1
stop_app
echo "done: $(ls "$OUT_DIR")"
