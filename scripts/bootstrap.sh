#!/usr/bin/env bash
# bootstrap.sh — set up a fresh Debian/Ubuntu machine for talkpuck: system packages, then .venv.
# Called by `make demo` and `make test`; safe to run again (it only does what is missing).
set -euo pipefail
cd "$(dirname "$0")/.."

want_test="${1:-demo}"          # "demo" or "test": tests also need a browser
apt_pkgs=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || apt_pkgs+=(mosquitto)
if [ "$want_test" = "test" ]; then
  command -v chromium >/dev/null 2>&1 || apt_pkgs+=(chromium)
  command -v node >/dev/null 2>&1 || apt_pkgs+=(nodejs)   # runs pyright (`make check`)
  # PortAudio for sounddevice: the Raspberry Pi puck's tests run the real library (hal_pi.py)
  # (no grep -q: it would end the pipe early, and pipefail would read that as missing)
  ldconfig -p 2>/dev/null | grep 'libportaudio\.so\.2' >/dev/null || apt_pkgs+=(libportaudio2)
  # the enclosure test renders hardware/enclosure/talkpuck.scad to STL; xvfb-run lets openscad
  # export the PNG images of hardware/README.md where there is no display
  command -v openscad >/dev/null 2>&1 || apt_pkgs+=(openscad)
  command -v xvfb-run >/dev/null 2>&1 || apt_pkgs+=(xvfb)
fi
# soundfile wheels bundle libsndfile; python3-venv is needed where python3 lacks ensurepip.
python3 -c 'import ensurepip' >/dev/null 2>&1 || apt_pkgs+=(python3-venv)

if [ ${#apt_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: installing system packages: ${apt_pkgs[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_pkgs[@]}" >/dev/null
  else
    echo "bootstrap: please install these system packages first, then run again:" >&2
    echo "    sudo apt-get install ${apt_pkgs[*]}" >&2
    exit 1
  fi
fi

stamp=".venv/.installed-$(cat pyproject.toml | sha1sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
  log=$(mktemp)
  if ! .venv/bin/python -m pip install -q -e '.[dev]' >"$log" 2>&1; then
    grep -v '^WARNING: Location' "$log" >&2; rm -f "$log"
    echo "bootstrap: pip install failed (see above)" >&2; exit 1
  fi
  rm -f "$log"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
