"""mirror — the puck's ring drawn on the host by the firmware's own renderer (puckcore.ring.Ring).

`view_from_state(state, ...)` fills a puckcore.ringview.RingView from the puck's last `state`
document (phase, time left, limit, hands, acknowledgement, mic, talking) and what the host knows
(the warning time, the room's minimum break, the time since the last session ended, whether the
puck is online); `ring_svg(frame)` draws the LED bytes `Ring.render` wrote as an SVG, with the same
LED-to-screen mapping as `talkpuck ring preview` (talkpuck.analytics.ringpreview). Nothing here
re-implements the ring: a change to ring.py shows on the screen as it shows on the desk.
"""
from typing import Any

from puckcore.ring import Ring
from puckcore.ringview import RingView
from puckcore.session import NAMES

from talkpuck.analytics.ringpreview import led_colours, positions

DEFAULT_LEDS = 16
_rings: dict[int, Ring] = {}                       # leds -> Ring (built once: its tables are not per frame)


def _ring(leds: int) -> Ring:
    r = _rings.get(leds)
    if r is None:
        r = _rings[leds] = Ring(leds)
    return r


def view_from_state(state: dict[str, Any] | None, online: bool = True, warn_s: int | None = 0,
                    min_break_s: int | None = 0, break_s: int | None = 0, age_ms: int = 0,
                    follow_total_s: int | None = None) -> RingView:
    """A RingView for the state document `state` (None: an idle puck), `age_ms` after it was sent."""
    v = RingView()
    st = state or {}
    name = st.get("phase", "idle")
    v.phase = v.prev_phase = NAMES.index(name) if name in NAMES else 0
    v.phase_ms = 60000                               # settled: no crossfade, no one-shot flash
    limit = st.get("limit_s") or 0
    v.limit_ms = int(limit) * 1000
    rem = st.get("remaining_s")
    v.remaining_ms = int(rem) * 1000 if rem is not None else 0
    v.warn_ms = int(warn_s or 0) * 1000
    v.break_ms = int(break_s or 0) * 1000
    v.min_break_ms = int(min_break_s or 0) * 1000
    v.hands = int(st.get("hands") or 0)
    v.ack_ms = -1
    v.connected = bool(online)
    v.mic_paused = st.get("mic") == "paused"
    v.talking = bool(st.get("talking"))
    follow = int(st.get("follow_s") or 0)
    v.follow_ms = follow * 1000
    v.follow_total_ms = max(follow, int(follow_total_s or 0)) * 1000
    return v


def render(view: RingView, leds: int = DEFAULT_LEDS, now_ms: int = 0) -> bytes:
    """The LED bytes (3 per LED, RGB drive values) the puck's renderer writes for `view`."""
    out = bytearray(3 * leds)
    _ring(leds).render(view, now_ms, out)
    return bytes(out)


_SVG_CACHE: dict[tuple[bytes, int, str], str] = {}   # (frame, size, label) -> SVG: a puck's ring seldom changes between rebuilds
SVG_CACHE_MAX = 8192


def ring_svg(frame: bytes | bytearray, size: int = 120, label: str = "ring") -> str:
    """The LED frame as a small SVG (LED 0 at the top, clockwise, as on the puck); cached by frame."""
    key = (bytes(frame), size, label)
    svg = _SVG_CACHE.get(key)
    if svg is None:
        if len(_SVG_CACHE) >= SVG_CACHE_MAX:
            _SVG_CACHE.clear()
        svg = _SVG_CACHE[key] = _ring_svg(frame, size, label)
    return svg


def _ring_svg(frame: bytes | bytearray, size: int, label: str) -> str:
    n = len(frame) // 3
    c = size / 2.0
    radius, bead = size * 0.38, size * 0.045
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" class="ring" role="img" width="%d" height="%d" '
             'viewBox="0 0 %d %d"><title>%s</title>' % (size, size, size, size, _esc(label)),
             '<circle cx="%.1f" cy="%.1f" r="%.1f" fill="#16161a"/>' % (c, c, radius + bead * 2.2),
             '<circle cx="%.1f" cy="%.1f" r="%.1f" fill="#0e0e10"/>' % (c, c, radius - bead * 2.2)]
    for (x, y), (colour, lit) in zip(positions(n, c, c, radius), led_colours(frame)):
        fill = "#%02x%02x%02x" % colour
        if lit:
            parts.append('<circle cx="%.1f" cy="%.1f" r="%.1f" fill="%s" opacity="0.35"/>' % (x, y, bead * 1.7, fill))
        parts.append('<circle class="led%s" cx="%.1f" cy="%.1f" r="%.1f" fill="%s"/>'
                     % (" lit" if lit else "", x, y, bead, fill))
    parts.append("</svg>")
    return "".join(parts)


def _esc(s: object) -> str:
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
