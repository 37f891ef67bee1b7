"""live — batched reads for the live pages (talkpuck.live.snapshot): a few queries per rebuild, not a few per room.

Each takes the rooms, sessions or devices to read (None: all of them) and returns a dict keyed by them.
The live hub runs these many times a second: each statement is built once (`stmt`, with an expanding
IN parameter), not at every call (building and keying a statement costs more than running it here).
"""
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator
from typing import Any, TypeVar

from puckcore.protocol import LIVE_PHASES
from sqlalchemy import BindParameter, bindparam, func, select

from talkpuck.store import tables as t
from talkpuck.store.base import StoreParts

_STMTS: dict[Hashable, Any] = {}      # key -> a statement (of any kind: select, insert, update)
_T = TypeVar("_T")


def stmt(key: Hashable, make: Callable[[], Any]) -> Any:
    """The statement `make()` builds, built once per key (the tables are fixed: so are the statements)."""
    s = _STMTS.get(key)
    if s is None:
        s = _STMTS[key] = make()
    return s


def ids_param(name: str = "ids") -> BindParameter[Any]:
    return bindparam(name, expanding=True)


def _chunks(items: Iterable[_T], n: int = 500) -> Iterator[list[_T]]:
    seq = list(items)
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


class LiveMixin(StoreParts):
    def rooms_min_break_s(self, names: Collection[str]) -> dict[str, int]:
        """{room: its minimum break (seconds)} for every room in `names` (the default where none is set)."""
        out: dict[str, int] = {}
        with self.engine.connect() as c:
            q = stmt("min_break", lambda: select(t.rooms.c.name, t.rooms.c.min_break_s).where(t.rooms.c.name.in_(ids_param())))
            for part in _chunks(names):
                for name, v in c.execute(q, {"ids": part}):
                    if v is not None:
                        out[name] = int(v)
        return {n: out.get(n, self.default_min_break_s) for n in names}

    def rooms_last_ended_ms(self, names: Collection[str]) -> dict[str, int]:
        """{room: when its last session ended (wall ms)} for the rooms in `names` that had one."""
        s = t.sessions.c
        out: dict[str, int] = {}
        with self.engine.connect() as c:
            q = stmt("last_ended", lambda: select(s.room, func.max(s.ended_ms))
                     .where(s.room.in_(ids_param()), s.ended_ms.is_not(None)).group_by(s.room))
            for part in _chunks(names):
                out.update({room: int(v) for room, v in c.execute(q, {"ids": part}) if v is not None})
        return out

    def sessions_by_id(self, ids: Collection[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        q = stmt("sessions_by_id", lambda: select(t.sessions).where(t.sessions.c.id.in_(ids_param())))
        with self.engine.connect() as c:
            return {r["id"]: dict(r) for part in _chunks(ids)
                    for r in c.execute(q, {"ids": part}).mappings()}

    def current_sessions(self, devices: Collection[str]) -> dict[str, dict[str, Any]]:
        """{device: its running session (the latest started, as current_session)} for the devices that have one."""
        s = t.sessions.c
        out: dict[str, dict[str, Any]] = {}
        if not devices:
            return out
        q = stmt("current_sessions", lambda: select(t.sessions).where(s.device.in_(ids_param()),
                                                                      s.phase.in_(LIVE_PHASES)))
        with self.engine.connect() as c:
            for part in _chunks(devices):
                for r in c.execute(q, {"ids": part}).mappings():
                    old = out.get(r["device"])
                    if old is None or (r["started_ms"] or -1) > (old["started_ms"] or -1):
                        out[r["device"]] = dict(r)
        return out

    def turn_marks(self, sids: Collection[str]) -> dict[str, tuple[int, int]]:
        """{session: (number of turns, highest turn id)}: changes when the session gets a turn (the voices cache key)."""
        tc = t.turns.c
        if not sids:
            return {}
        q = stmt("turn_marks", lambda: select(tc.session_id, func.count(), func.max(tc.id))
                 .where(tc.session_id.in_(ids_param())).group_by(tc.session_id))
        with self.engine.connect() as c:
            return {sid: (int(n), int(m)) for part in _chunks(sids)
                    for sid, n, m in c.execute(q, {"ids": part})}

    TALLY_COLUMNS = ("id", "session_id", "voice", "dur_ms", "start_ms", "end_ms", "cont", "remote")

    def turns_after(self, after: dict[str, int]) -> dict[str, list[dict[str, Any]]]:
        """{session: [its turns with an id over after[session], in (start_ms, id) order]} for `after`
        ({session: turn id; 0: all}): what a session's VoiceTally (talkpuck.analytics.tally) has not seen,
        for many sessions in a query or two; only the columns the tally reads. The sessions read from a
        turn on are read from the lowest such id (sessions run side by side: the others' few turns in
        between are read and left), with one statement built once."""
        tc = t.turns.c
        q = stmt("turns_after", lambda: select(*[tc[k] for k in self.TALLY_COLUMNS])
                 .where(tc.session_id.in_(ids_param("sids")), tc.id > bindparam("after"))
                 .order_by(tc.session_id, tc.start_ms, tc.id))
        out: dict[str, list[dict[str, Any]]] = {sid: [] for sid in after}
        groups = {False: sorted(s for s, a in after.items() if not a), True: sorted(s for s, a in after.items() if a)}
        with self.engine.connect() as c:
            for tail, sids in groups.items():
                for part in _chunks(sids, 500):
                    low = min(int(after[sid]) for sid in part) if tail else 0
                    for r in c.execute(q, {"sids": part, "after": low}).mappings():
                        if r["id"] > int(after[r["session_id"]] or 0):
                            out[r["session_id"]].append(dict(r))
        return out
