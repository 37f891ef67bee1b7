"""ringpreview — `talkpuck ring preview`: draw the real ring renderer's frames as images.

Drives the firmware's `Controller` (the same code the puck runs) through a scripted session on a
simulated clock and draws every frame it renders: a contact sheet of every phase and overlay
(PNG and SVG), and an animation of a whole session, time compressed (animated GIF). A person can
look at the visual language without hardware; docs/ring.md shows these images.

LED drive values are what the renderer writes to the strip (after the brightness cap and gamma);
for the screen they are turned back into perceived brightness (the inverse of the LED gamma), and an
unlit LED is drawn as a dark grey bead so the ring's shape stays visible.
"""
import argparse
import os
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from puckcore.controller import Controller
from puckcore.gestures import LONG, PRESS
from puckcore.settings import Settings
from puckcore.ticks import ticks_add, ticks_diff

if TYPE_CHECKING:
    from PIL import ImageDraw

Scene = tuple[str, str, bytes]        # (title, caption, frame bytes)
Colour = tuple[int, int, int]

T0 = 1000  # the simulated clock starts here (any value works: ticks are wrap-safe)


class _Outbox:
    """Stands in for puckcore.outbox.Outbox: counts seqs, keeps the events for the captions."""

    def __init__(self) -> None:
        self.next_seq = 1
        self.events: list[tuple[int, str, dict[str, Any]]] = []

    def add(self, kind: str, fields: dict[str, Any], now_ms: int) -> int:
        seq = self.next_seq
        self.next_seq += 1
        self.events.append((seq, kind, fields))
        return seq


def _controller(leds: int, **settings: Any) -> Controller:
    base = {"brightness": 255, "gamma": True, "leds": leds}
    base.update(settings)
    return Controller("puck-a1", "7f3a9c2e", Settings(base), _Outbox())


def _frame(c: Controller, t: int) -> bytes:
    out = bytearray(3 * c.leds)
    c.tick(t)
    c.render(t, out)
    return bytes(out)


def _run(c: Controller, t: int, ms: int, step: int = 1000) -> int:
    """Advance the controller's clock by `ms`, ticking as the app does."""
    end = ticks_add(t, ms)
    while ms > 0:
        d = step if ms > step else ms
        t = ticks_add(t, d)
        ms -= d
        c.tick(t)
    assert t == end
    return t


def _session(c: Controller, t: int, limit_s: int = 1800, warn_s: int = 300) -> int:
    c.on_command("session_start", {"session": "preview", "limit_s": limit_s, "warn_s": warn_s}, t)
    return t


def contact_scenes(leds: int = 24) -> list[Scene]:
    """[(title, caption, frame bytes)] for every phase and overlay."""
    scenes: list[Scene] = []

    def add(title: str, caption: str, c: Controller, t: int) -> int:
        # ticks the controller up to t (frames are taken with time only moving forward)
        scenes.append((title, caption, _frame(c, t)))
        return t

    c = _controller(leds)
    add("idle", "one dim dot at the top", c, T0)

    c = _controller(leds)
    _session(c, T0)  # 30 minutes, warning at 5 minutes left, wrap-up at 1 minute left
    t = T0

    def at(s: int) -> int:  # run the clock on to s seconds after the session start, ticking as the app does
        return _run(c, t, s * 1000 - ticks_diff(t, T0), 1000)

    t = add("running", "full arc: 30 min left of 30", c, at(3))
    t = add("running", "half drained: 15 min left", c, at(900))
    t = add("warning", "5 min left: the ring pulses twice, once", c, at(1501))
    t = add("warning", "then settles: a dashed arc; the ring now stands for the last 5 min", c, at(1560))
    t = add("wrapup", "last minute: the arc breathes slowly", c, at(1770))
    t = add("timeup", "time up: light blooms from the top", c, _run(c, at(1800), 700, 100))
    t = add("timeup", "then the whole ring breathes, then rests", c, at(1810))
    t = add("overrun", "4 min over: arc grows anticlockwise, steady", c, at(2040))
    c.on_command("session_stop", {}, t)
    t = add("ended", "the whole ring fades out", c, _run(c, t, 4000))
    t = add("break", "break: every other LED fills as it is taken", c, _run(c, t, 240000, 5000))
    t = add("break", "minimum break taken: all dots, steady", c, _run(c, t, 420000, 5000))
    c.on_command("follow_up", {"seconds": 1800}, t)
    t = add("follow-up window", "after the call: every third LED, rose, 30 min left", c, _run(c, t, 1000))
    t = add("follow-up window", "it drains as the window runs out: 10 min left", c, _run(c, t, 1200000, 5000))

    c = _controller(leds)
    t = _run(c, _session(c, T0), 600000, 5000)
    for _ in range(3):
        c.on_gesture(PRESS, t)
    t = _run(c, t, 1000)
    add("hands", "3 hands waiting: pips at the bottom, the next brightest", c, t)
    first = c.hands.next()
    c.on_command("hand_ack", {"hand": first}, t)
    add("hand acknowledged", "a band spreads from the bottom and fades", c, ticks_add(t, 900))

    c = _controller(leds)
    t = _run(c, _session(c, T0), 600000, 5000)
    c.on_gesture(LONG, t)
    add("mic paused", "two steady dots at 3 and 9 o'clock", c, _run(c, t, 1000))

    c = _controller(leds)
    t = _run(c, _session(c, T0), 600000, 5000)
    c.connected = False
    t = ticks_add(t, 3000 - t % 3000 + 50)
    add("connection lost", "the top LED blinks briefly every 3 s", c, t)

    c = _controller(leds)
    c.on_command("identify", {"seconds": 10}, T0)
    add("identify", "the whole ring blinks (host: find this puck)", c, ticks_add(T0, 600))

    c = _controller(leds, balance=True)
    t = _session(c, T0)
    for start, end, voice in ((0, 300000, 1), (300000, 420000, 2), (420000, 600000, 3), (600000, 640000, 4)):
        c.on_turn(ticks_add(T0, start), ticks_add(T0, end), voice, 80, -30, t)
    t = _run(c, t, 59000, 5000)
    add("voice balance", "segments by share of talk time, a dark LED between", c, t)

    c = _controller(leds)
    c.hold_ms = 1800
    add("start gesture", "tap, tap, hold: the ring fills white", c, T0)

    c = _controller(leds, night=True)
    t = _run(c, _session(c, T0), 600000, 5000)
    add("night mode", "the same, capped very dim", c, t)

    c = _controller(leds)
    c.on_command("ring_test", {}, T0)
    add("ring test", "red, green, blue, white, a dot chasing", c, ticks_add(T0, 2000))
    return scenes


def session_frames(leds: int = 24, limit_s: int = 600, warn_s: int = 300, step_s: int = 10) -> list[tuple[str, bytes, int]]:
    """[(title, frame bytes, duration ms)]: a whole session, time compressed, plus its end and break.

    Long stretches are sampled every `step_s` of session time; the moments that animate (warning
    pulse, time up, ended fade) at 10 frames a second of real time."""
    c = _controller(leds, min_break_s=120)
    frames: list[tuple[str, bytes, int]] = []
    t = _session(c, T0, limit_s, warn_s)

    def take(t: int, ms: int, every: int, dur: int) -> int:
        end = ticks_add(t, ms)
        while ticks_diff(end, t) > 0:
            frames.append((c.state_fields(t)["phase"], _frame(c, t), dur))
            t = ticks_add(t, every)
        return t

    t = take(t, (limit_s - warn_s) * 1000, step_s * 1000, 60)  # running
    t = take(t, 5000, 100, 100)  # the warning pulse, real time
    t = take(t, (warn_s - 60) * 1000 - 5000, step_s * 1000, 60)
    t = take(t, 10000, 500, 100)  # wrap-up breathing
    t = take(t, 50000, step_s * 1000, 60)
    t = take(t, 8000, 100, 100)  # time up, real time
    t = take(t, 52000 + 600000, step_s * 2000, 60)  # into overrun
    c.on_command("session_stop", {}, t)
    t = take(t, 20000, 500, 100)  # ended fade
    t = take(t, 150000, step_s * 1000, 60)  # the break, until ready
    t = take(t, 3000, 1000, 400)
    return frames


# --- drawing ----------------------------------------------------------------------------------
def _screen(v: float) -> int:
    """LED drive value (0..255, gamma-corrected) -> perceived screen value."""
    return int(round(255 * (v / 255.0) ** (1 / 2.2)))


def _led_colours(frame: bytes | bytearray) -> Iterator[tuple[Colour, bool]]:
    for i in range(0, len(frame), 3):
        r, g, b = (_screen(x) for x in frame[i:i + 3])
        if r + g + b < 24:
            yield (38, 38, 42), False
        else:
            yield (r, g, b), True


def _positions(n: int, cx: float, cy: float, radius: float) -> Iterator[tuple[float, float]]:
    import math

    for i in range(n):
        a = 2 * math.pi * i / n - math.pi / 2  # LED 0 at the top, clockwise
        yield cx + radius * math.cos(a), cy + radius * math.sin(a)


def draw_ring(draw: "ImageDraw.ImageDraw", frame: bytes, cx: float, cy: float, radius: float, bead: float) -> None:
    n = len(frame) // 3
    draw.ellipse((cx - radius - bead * 1.6, cy - radius - bead * 1.6, cx + radius + bead * 1.6,
                  cy + radius + bead * 1.6), fill=(22, 22, 26))
    draw.ellipse((cx - radius + bead * 1.6, cy - radius + bead * 1.6, cx + radius - bead * 1.6,
                  cy + radius - bead * 1.6), fill=(14, 14, 16))
    for (x, y), (colour, lit) in zip(_positions(n, cx, cy, radius), _led_colours(frame)):
        if lit:
            halo = tuple(int(c * 0.35 + 22 * 0.65) for c in colour)
            draw.ellipse((x - bead * 1.5, y - bead * 1.5, x + bead * 1.5, y + bead * 1.5), fill=halo)
        draw.ellipse((x - bead, y - bead, x + bead, y + bead), fill=colour)
    # the button in the middle
    draw.ellipse((cx - radius * 0.35, cy - radius * 0.35, cx + radius * 0.35, cy + radius * 0.35),
                 fill=(30, 30, 34), outline=(60, 60, 66))


def contact_sheet_png(scenes: Sequence[Scene], path: str, cols: int = 4, cell: int = 260) -> None:
    from PIL import Image, ImageDraw

    rows = (len(scenes) + cols - 1) // cols
    img = Image.new("RGB", (cols * cell, rows * (cell + 44)), (12, 12, 14))
    d = ImageDraw.Draw(img)
    for k, (title, caption, frame) in enumerate(scenes):
        x = (k % cols) * cell
        y = (k // cols) * (cell + 44)
        draw_ring(d, frame, x + cell / 2, y + cell / 2, cell * 0.36, cell * 0.03)
        d.text((x + 10, y + cell - 4), title, fill=(235, 235, 235))
        d.text((x + 10, y + cell + 12), _wrap(caption, 40), fill=(160, 160, 165))
    img.save(path, optimize=True)


def _wrap(text: str, width: int) -> str:
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = (line + " " + w).strip()
    lines.append(line)
    return "\n".join(lines)


def animation_gif(frames: Sequence[tuple[str, bytes, int]], path: str, size: int = 220) -> None:
    from PIL import Image, ImageDraw

    images, durations = [], []
    for title, frame, dur in frames:
        img = Image.new("RGB", (size, size + 24), (12, 12, 14))
        d = ImageDraw.Draw(img)
        draw_ring(d, frame, size / 2, size / 2, size * 0.36, size * 0.03)
        d.text((10, size + 4), title, fill=(220, 220, 220))
        images.append(img)
        durations.append(dur)
    images[0].save(path, save_all=True, append_images=images[1:], duration=durations, loop=0, optimize=False)


def contact_sheet_svg(scenes: Sequence[Scene], cols: int = 4, cell: int = 200) -> str:
    """The contact sheet as SVG text (no Pillow needed)."""
    rows = (len(scenes) + cols - 1) // cols
    h = rows * (cell + 40)
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
             'font-family="sans-serif">' % (cols * cell, h, cols * cell, h),
             '<rect width="100%" height="100%" fill="#0c0c0e"/>']
    for k, (title, caption, frame) in enumerate(scenes):
        x = (k % cols) * cell
        y = (k // cols) * (cell + 40)
        cx, cy, radius, bead = x + cell / 2, y + cell / 2, cell * 0.36, cell * 0.03
        parts.append('<circle cx="%.1f" cy="%.1f" r="%.1f" fill="none" stroke="#16161a" stroke-width="%.1f"/>'
                     % (cx, cy, radius, bead * 3.2))
        for (px, py), (colour, lit) in zip(_positions(len(frame) // 3, cx, cy, radius), _led_colours(frame)):
            fill = "#%02x%02x%02x" % colour
            if lit:
                parts.append('<circle cx="%.1f" cy="%.1f" r="%.1f" fill="%s" opacity="0.35"/>'
                             % (px, py, bead * 1.6, fill))
            parts.append('<circle cx="%.1f" cy="%.1f" r="%.1f" fill="%s"/>' % (px, py, bead, fill))
        parts.append('<text x="%d" y="%d" fill="#ebebeb" font-size="13">%s</text>' % (x + 8, y + cell - 2, _esc(title)))
        parts.append('<text x="%d" y="%d" fill="#a0a0a5" font-size="10">%s</text>'
                     % (x + 8, y + cell + 14, _esc(caption)))
    parts.append("</svg>")
    return "\n".join(parts)


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def run(args: argparse.Namespace) -> int:
    os.makedirs(args.out, exist_ok=True)
    scenes = contact_scenes(args.leds)
    written = []
    if "svg" in args.format:
        p = os.path.join(args.out, "ring-phases.svg")
        with open(p, "w", encoding="utf-8") as f:
            f.write(contact_sheet_svg(scenes))
        written.append(p)
    if "png" in args.format:
        p = os.path.join(args.out, "ring-phases.png")
        contact_sheet_png(scenes, p)
        written.append(p)
    if "gif" in args.format:
        p = os.path.join(args.out, "ring-session.gif")
        animation_gif(session_frames(args.leds, args.limit_s, args.warn_s), p)
        written.append(p)
    for p in written:
        print(p)
    return 0


# the LED-to-screen mapping, public for the live ring mirror (talkpuck.live.mirror)
led_colours = _led_colours
positions = _positions
