"""pastsessions — the demo's example past sessions, so the dashboard has something to show at once.

`seed(store, rooms, now_ms)` replaces the previous run's examples (ids `demo-past-*`, their turns and
hands) with the same set again, dated in the last two weeks (inside any retention window): a few
calls per room with turns of two to three anonymous voices (one with a voice change inside a turn,
`cont`), hand raises and their waits, one overrun, one back-to-back, and a series of three shorter
calls in the first room. In the series' calls the family (voices 2 and 3) is on a video call, through
the laptop's loudspeaker: their turns carry `remote` (evt/turn.remote), so the review pages show the
room and the call; the other sessions are all in the room. A second `make demo` therefore shows what
the first showed.

Series: `group_series()` puts the three shorter calls in one series (store/review.py), the same
series every run; their purpose also names it ("Family series, call 1 of 3").
"""
import logging
import random
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import Connection, delete

from talkpuck.store import tables as t

if TYPE_CHECKING:
    from talkpuck.store import Store

# (room, device, days_ago, hour, limit_min, actual_min, purpose, series_call)
Planned = tuple[str, str, int, float, int, int, str, int]

log = logging.getLogger(__name__)
PREFIX = "demo-past-"
DAY_MS = 86400000
SERIES_NAME = "Family series"


def _plan(rooms: Sequence[tuple[str, str]]) -> list[Planned]:
    """[(room, device, days_ago, hour, limit_min, actual_min, purpose, series_call)]."""
    (dev_a, room_a), (dev_b, room_b) = rooms[0], rooms[1 % len(rooms)]
    return [
        (room_a, dev_a, 12, 10, 20, 19, "%s, call 1 of 3" % SERIES_NAME, 1),
        (room_a, dev_a, 8, 10, 20, 21, "%s, call 2 of 3" % SERIES_NAME, 2),
        (room_a, dev_a, 4, 10, 20, 18, "%s, call 3 of 3" % SERIES_NAME, 3),
        (room_b, dev_b, 6, 14, 30, 36, "Team retro (overran)", 0),
        (room_b, dev_b, 6, 14.7, 15, 14, "Follow-up right after (back to back)", 0),
        (room_b, dev_b, 2, 9, 45, 41, "Planning", 0),
    ]


def seed(store: "Store", rooms: Sequence[tuple[str, str]], now_ms: int, seed: int = 7) -> list[str]:
    """rooms: [(device, room)]; returns the example session ids (the same every run)."""
    rng = random.Random(seed)
    clear(store)
    ids: list[str] = []
    series: list[str] = []
    day0 = now_ms - now_ms % DAY_MS
    with store.engine.begin() as c:
        for k, (room, device, days_ago, hour, limit_min, actual_min, purpose, call) in enumerate(_plan(rooms)):
            sid = "%s%d" % (PREFIX, k + 1)
            start = day0 - days_ago * DAY_MS + int(hour * 3600000)
            end = start + actual_min * 60000
            prev = [e for r, e in _ended(ids, c) if r == room and e <= start]
            gap_s = (start - max(prev)) // 1000 if prev else None
            c.execute(t.sessions.insert().values(
                id=sid, device=device, room=room, source="host", purpose=purpose, limit_s=limit_min * 60,
                warn_s=300, phase="ended", requested_ms=start - 2000, started_ms=start, ended_ms=end, extended_s=0,
                break_before_s=gap_s, short_break=gap_s is not None and gap_s < store.default_min_break_s))
            _turns(c, rng, sid, device, k, start, end, voices=3 if call else 2, remote=(2, 3) if call else ())
            _hands(c, rng, sid, device, room, k, start, end)
            ids.append(sid)
            if call:
                series.append(sid)
    group_series(store, SERIES_NAME, series)
    return ids


def _ended(ids: list[str], c: Connection) -> list[tuple[str, int]]:
    s = t.sessions.c
    if not ids:
        return []
    return [(r[0], r[1]) for r in c.execute(t.sessions.select().with_only_columns(s.room, s.ended_ms)
                                            .where(s.id.in_(ids)))]


def _turns(c: Connection, rng: random.Random, sid: str, device: str, k: int, start: int, end: int, voices: int,
           remote: tuple[int, ...] = ()) -> None:
    boot = "deadbe%02x" % k
    t_ms, seq, prev_voice = start + 4000, 1, 0
    weights = [5, 3, 2][:voices]
    while t_ms < end - 5000:
        voice = rng.choices(range(1, voices + 1), weights)[0]
        if voice == prev_voice:
            voice = voice % voices + 1
        dur = int(rng.expovariate(1 / 14000.0)) + 1500
        e = min(end - 2000, t_ms + dur)
        # now and then the next voice comes straight in; once per call a voice change inside one turn
        cont = seq == 6
        c.execute(t.turns.insert().values(device=device, boot=boot, seq=seq, session_id=sid, voice=voice, conf=85,
                                          start_ms=t_ms, end_ms=e, dur_ms=e - t_ms, level_db=-30, cont=cont,
                                          remote=voice in remote))
        seq += 1
        prev_voice = voice
        t_ms = e + (0 if rng.random() < 0.2 or seq == 6 else int(rng.expovariate(1 / 1500.0)) + 200)


def _hands(c: Connection, rng: random.Random, sid: str, device: str, room: str, k: int, start: int, end: int) -> None:
    for j in range(rng.randint(1, 4)):
        raised = start + int(rng.uniform(0.1, 0.9) * (end - start))
        c.execute(t.hands.insert().values(room=room, source="puck", device=device, boot="deadbe%02x" % k,
                                          hand=100 + j, session_id=sid, state="acked", raised_ms=raised,
                                          acked_ms=raised + int(rng.uniform(5, 90) * 1000), puck_confirmed=True))


def clear(store: "Store") -> None:
    """Remove the examples a previous run made (and only those)."""
    with store.engine.begin() as c:
        for table in (t.turns, t.hands):
            c.execute(delete(table).where(table.c.session_id.like(PREFIX + "%")))
        c.execute(delete(t.sessions).where(t.sessions.c.id.like(PREFIX + "%")))


def group_series(store: "Store", name: str, session_ids: list[str]) -> int | None:
    """Group the example calls into one series (store/review.py); the same series every run."""
    if not session_ids:
        return None
    first = store.session(session_ids[0])
    if first is None:            # never: seed() inserted it just before
        raise RuntimeError("demo: example session %s is missing" % session_ids[0])
    room = first["room"]
    found = [x for x in store.series_list([room]) if x["name"] == name and x["room"] == room]
    series_id = found[0]["id"] if found else store.add_series(name, room, "demo", int(time.time() * 1000))
    for sid in session_ids:
        store.set_in_series(series_id, sid, True)
    return series_id
