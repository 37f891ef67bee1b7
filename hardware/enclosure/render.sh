#!/usr/bin/env bash
# render.sh — the enclosure's pictures for hardware/README.md (PNG needs OpenGL: xvfb-run gives it a display).
set -euo pipefail
cd "$(dirname "$0")"
run=(openscad)
[ -n "${DISPLAY:-}" ] || run=(xvfb-run -a openscad)
for part in assembly exploded print; do
  "${run[@]}" -D "part=\"$part\"" --camera=0,0,10,60,0,30,260 --viewall --autocenter \
    --imgsize=900,700 --colorscheme=Tomorrow -o "$part.png" talkpuck.scad
done
