"""timeline — a session's turns as an inline SVG drawn on the server: one lane per voice, the
practitioner's first; markers for the warning, the planned end and the difficult moments.

No script and no style attributes (the pages' CSP allows neither inline): presentation attributes
and classes only (web/review.css colours them). Text is escaped here.
"""
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

WIDTH = 960
LABEL_W = 150
LANE_H = 26
TOP = 34
BOTTOM = 26


def _x(ms: float, t0: float, span: float) -> float:
    return LABEL_W + (WIDTH - LABEL_W - 10) * max(0.0, min(1.0, (ms - t0) / float(span)))


def _clock(ms_from_start: float) -> str:
    s = int(ms_from_start // 1000)
    return "%d:%02d" % (s // 60, s % 60)


def svg(turns: Sequence[dict[str, Any]], start_ms: int, end_ms: int | None, practitioner: int | None = None,
        markers: Sequence[tuple[int, str, str]] = (), moments: Iterable[dict[str, Any]] = ()) -> str:
    """The SVG text. `markers`: [(wall_ms, label, css_class)]; `moments`: metrics.difficult_moments()."""
    voices = sorted({int(t["voice"]) for t in turns}, key=lambda v: (v != practitioner, v))
    end = max([end_ms or 0] + [t["end_ms"] for t in turns] + [m[0] for m in markers])
    span = max(1000, end - start_ms)
    height = TOP + LANE_H * max(1, len(voices)) + BOTTOM
    out = ['<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 %d %d" width="%d" height="%d" '
           'role="img" aria-label="Turns per voice over the session">' % (WIDTH, height, WIDTH, height)]
    lane_of = {v: i for i, v in enumerate(voices)}
    for v, i in lane_of.items():
        y = TOP + i * LANE_H
        cls = "lane practitioner" if v == practitioner else "lane"
        out.append('<rect class="%s" x="%d" y="%d" width="%d" height="%d"/>' % (cls, LABEL_W, y, WIDTH - LABEL_W - 10, LANE_H - 4))
        label = "Voice %d%s" % (v, " (you)" if v == practitioner else "")
        out.append('<text class="lane-label" x="4" y="%d">%s</text>' % (y + LANE_H - 10, escape(label)))
    for m in moments:
        x1, x2 = _x(m["start_ms"], start_ms, span), _x(m["end_ms"], start_ms, span)
        out.append('<rect class="moment %s" x="%.1f" y="%d" width="%.1f" height="%d"><title>%s</title></rect>'
                   % (escape(m["kind"]), x1, TOP - 4, max(3.0, x2 - x1), LANE_H * max(1, len(voices)) + 4,
                      escape("%s at %s" % (m["note"], _clock(m["start_ms"] - start_ms)))))
    for t in turns:
        v = int(t["voice"])
        x1, x2 = _x(t["start_ms"], start_ms, span), _x(t["end_ms"], start_ms, span)
        y = TOP + lane_of[v] * LANE_H + 2
        cls = "turn p" if v == practitioner else "turn v%d" % (v % 8)
        out.append('<rect class="%s" x="%.1f" y="%d" width="%.1f" height="%d"><title>voice %d, %s, %.1f s</title></rect>'
                   % (cls, x1, y, max(1.0, x2 - x1), LANE_H - 8, v, _clock(t["start_ms"] - start_ms),
                      (t["end_ms"] - t["start_ms"]) / 1000.0))
    axis_y = TOP + LANE_H * max(1, len(voices)) + 4
    minutes = span / 60000.0
    step = next(s for s in (1, 2, 5, 10, 15, 30, 60, 120) if minutes / s <= 10)
    minute = 0
    while minute * 60000 <= span:
        x = _x(start_ms + minute * 60000, start_ms, span)
        out.append('<line class="tick" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>' % (x, axis_y - 4, x, axis_y))
        out.append('<text class="tick-label" x="%.1f" y="%d" text-anchor="middle">%d min</text>' % (x, axis_y + 14, minute))
        minute += step
    last_x, row = -1000.0, 0
    for wall, label, cls in sorted(markers):
        x = _x(wall, start_ms, span)
        row = 1 - row if x - last_x < 80 else 0      # labels close together take turns on two rows
        last_x = x
        out.append('<line class="marker %s" x1="%.1f" y1="%d" x2="%.1f" y2="%d"><title>%s</title></line>'
                   % (escape(cls), x, TOP - 8 - 12 * row, x, axis_y, escape(label)))
        anchor = "end" if x > WIDTH - 50 else "start" if x < LABEL_W + 30 else "middle"
        out.append('<text class="marker-label %s" x="%.1f" y="%d" text-anchor="%s">%s</text>'
                   % (escape(cls), x, TOP - 10 - 12 * row, anchor, escape(label)))
    out.append("</svg>")
    return "\n".join(out)
