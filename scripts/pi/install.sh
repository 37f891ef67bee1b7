#!/usr/bin/env bash
# install.sh — put a talkpuck puck on a Raspberry Pi (Zero 2 W, 3, 4, 5; Raspberry Pi OS Bookworm).
#
#   sudo scripts/pi/install.sh [--prefix /opt/talkpuck] [--config my-puck.json] [--no-start]
#
# Run from a checkout on the Pi. Installs the system packages (PortAudio, venv), copies the
# checkout to the prefix, makes its venv with the `pi` extra (Blinka, neopixel, sounddevice, the
# ring driver for this Pi), checks the board file, puts the config in /etc/talkpuck/puck.json,
# and installs and starts the systemd unit (talkpuck-puck.service: Type=notify, WatchdogSec).
# Safe to run again (an update: the same steps; the saved settings in /var/lib/talkpuck stay).
set -euo pipefail

prefix=/opt/talkpuck
config=""
start=1
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="$2"; shift 2 ;;
    --config) config="$2"; shift 2 ;;
    --no-start) start=0; shift ;;
    *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

src="$(cd "$(dirname "$0")/../.." && pwd)"
[ "$(id -u)" = "0" ] || { echo "install.sh: run as root (sudo)" >&2; exit 1; }
grep -q "Raspberry Pi" /proc/device-tree/model 2>/dev/null || echo "install.sh: warning: this does not look like a Raspberry Pi" >&2

echo "install.sh: system packages"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv python3-dev libportaudio2 >/dev/null

echo "install.sh: $src -> $prefix"
mkdir -p "$prefix"
if [ "$src" != "$prefix" ]; then
  (cd "$src" && tar --exclude=./.venv --exclude=./build --exclude=./.git -cf - .) | (cd "$prefix" && tar -xf -)
fi
[ -x "$prefix/.venv/bin/python" ] || python3 -m venv "$prefix/.venv"
"$prefix/.venv/bin/python" -m pip install -q --upgrade pip
"$prefix/.venv/bin/python" -m pip install -q -e "$prefix[pi]"
"$prefix/.venv/bin/talkpuck" board check pi

mkdir -p /etc/talkpuck
if [ -n "$config" ]; then
  install -m 0600 "$config" /etc/talkpuck/puck.json
fi
if [ ! -f /etc/talkpuck/puck.json ]; then
  cat > /etc/talkpuck/puck.json <<'JSON'
{"device": "puck-pi1", "board": "pi", "broker": "mqtt://192.168.1.20:1883",
 "storage": "/var/lib/talkpuck", "settings": {"room": "Room 1"}}
JSON
  chmod 0600 /etc/talkpuck/puck.json
  echo "install.sh: wrote an example /etc/talkpuck/puck.json: set device and broker, then run again" >&2
  start=0
fi

sed "s#/opt/talkpuck#$prefix#g" "$src/scripts/pi/talkpuck-puck.service" > /etc/systemd/system/talkpuck-puck.service
systemctl daemon-reload
systemctl enable talkpuck-puck.service >/dev/null
if [ "$start" = "1" ]; then
  systemctl restart talkpuck-puck.service
  echo "install.sh: started; follow it with: journalctl -u talkpuck-puck -f"
else
  echo "install.sh: installed, not started (systemctl start talkpuck-puck)"
fi
