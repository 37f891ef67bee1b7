"""review — what a host adds when reviewing sessions (issue 14): which anonymous voice was theirs,
their private reflection note, and series of sessions; plus the filtered, paged sessions list.

Room filtering is the caller's `rooms` argument: None for an admin (every room), else the rooms the
host may see (auth/rooms.py); a session of no room counts as NO_ROOM. A note is read and written by
its author only: every note query names the author.
"""
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import (BigInteger, Column, ColumnElement, Connection, Integer, String, Table, Text, and_, delete, func, or_,
                        select, update)

from talkpuck.errors import ConfigError, NotFound
from talkpuck.store import tables as t
from talkpuck.store.devices import NO_ROOM
from talkpuck.store import retention as _retention
from talkpuck.store.base import StoreParts

# in the main MetaData: store/retention.py (issue 13) walks it, and the rules below say how rows go
review_voices = Table(
    "review_voices", t.metadata,
    Column("session_id", String(100), primary_key=True),
    Column("voice", Integer, nullable=False),          # the practitioner's anonymous voice
    Column("set_by", String(64), nullable=False),
    Column("set_ms", BigInteger, nullable=False),
)
review_notes = Table(
    "review_notes", t.metadata,
    Column("session_id", String(100), primary_key=True),
    Column("author", String(64), primary_key=True),     # visible to this user only
    Column("text", Text, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
)
review_series = Table(
    "review_series", t.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(120), nullable=False),
    Column("room", String(64), nullable=False),          # a series is one room's calls with the same people
    Column("created_by", String(64), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
)
review_series_sessions = Table(
    "review_series_sessions", t.metadata,
    Column("series_id", Integer, primary_key=True),
    Column("session_id", String(100), primary_key=True),
)
TABLES = (review_voices, review_notes, review_series, review_series_sessions)
SESSION_TABLES = ((review_voices, "session_id"), (review_notes, "session_id"), (review_series_sessions, "session_id"))
INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_review_sessions_started ON sessions (started_ms)",
    "CREATE INDEX IF NOT EXISTS ix_review_sessions_room_started ON sessions (room, started_ms)",
    "CREATE INDEX IF NOT EXISTS ix_review_turns_session ON turns (session_id, start_ms)",
    "CREATE INDEX IF NOT EXISTS ix_review_hands_session ON hands (session_id)",
    "CREATE INDEX IF NOT EXISTS ix_review_events_device_kind ON events (device, kind, wall_ms)",
    "CREATE INDEX IF NOT EXISTS ix_review_series_sessions_session ON review_series_sessions (session_id)",
)
NOTE_MAX = 20000
NAME_MAX = 120

# the table-driven deletion (store/retention.py): our rows go with their session
for _rule in (_retention.Rule("review_voices", session="session_id", time="set_ms"),
              _retention.Rule("review_notes", session="session_id", time="updated_ms"),
              _retention.Rule("review_series_sessions", session="session_id"),
              _retention.Rule("review_series", keep="a series' name, room and who made it; its calls "
                                                    "are rows of review_series_sessions, deleted with them")):
    _retention.register(_rule)


def _room_cond(col: Any, rooms: Iterable[str] | None) -> ColumnElement[bool] | None:
    if rooms is None:
        return None
    names = list(rooms)
    cond = col.in_(names) if names else col.in_(["\x00none"])
    return or_(cond, col.is_(None)) if NO_ROOM in names else cond


class ReviewMixin(StoreParts):
    # -- the sessions list ------------------------------------------------------------------------
    def review_sessions(self, rooms: Collection[str] | None = None, room: str | None = None, since_ms: int | None = None,
                        until_ms: int | None = None, min_s: int | None = None, max_s: int | None = None,
                        overran: bool | None = None, back_to_back: bool | None = None, series: int | None = None,
                        offset: int = 0, limit: int = 50) -> tuple[list[dict[str, Any]], int]:
        """Started sessions, newest first, filtered; returns (rows, total)."""
        s = t.sessions.c
        dur = s.ended_ms - s.started_ms
        planned = (s.limit_s - func.coalesce(s.extended_s, 0)) * 1000
        cond: list[ColumnElement[bool]] = [s.started_ms.is_not(None)]
        rc = _room_cond(s.room, rooms)
        if rc is not None:
            cond.append(rc)
        if room is not None:
            cond.append(s.room.is_(None) if room == NO_ROOM else s.room == room)
        if since_ms is not None:
            cond.append(s.started_ms >= since_ms)
        if until_ms is not None:
            cond.append(s.started_ms < until_ms)
        if min_s is not None:
            cond.append(dur >= min_s * 1000)
        if max_s is not None:
            cond.append(dur <= max_s * 1000)
        if overran is not None:
            over = and_(s.ended_ms.is_not(None), s.limit_s.is_not(None), dur > planned)
            cond.append(over if overran else ~over)
        if back_to_back is not None:
            cond.append(s.short_break.is_(True) if back_to_back else s.short_break.is_(False))
        if series is not None:
            cond.append(s.id.in_(select(review_series_sessions.c.session_id)
                                 .where(review_series_sessions.c.series_id == series)))
        with self.engine.connect() as c:
            total = int(c.execute(select(func.count()).select_from(t.sessions).where(*cond)).scalar() or 0)
            rows = [dict(r) for r in c.execute(select(t.sessions).where(*cond)
                                               .order_by(s.started_ms.desc(), s.id.desc())
                                               .offset(offset).limit(limit)).mappings()]
            ids = [r["id"] for r in rows]
            if ids:
                tc = t.turns.c
                agg = {r[0]: (int(r[1]), int(r[2] or 0)) for r in c.execute(
                    select(tc.session_id, func.count(), func.sum(tc.dur_ms))
                    .where(tc.session_id.in_(ids)).group_by(tc.session_id)).all()}
                pv = dict(c.execute(select(review_voices.c.session_id, review_voices.c.voice)
                                    .where(review_voices.c.session_id.in_(ids))).all())
                for r in rows:
                    r["turns"], r["talk_ms"] = agg.get(r["id"], (0, 0))
                    r["practitioner"] = pv.get(r["id"])
        return rows, total

    def session_neighbours(self, session: dict[str, Any]) -> int | None:
        """(previous session's end, next session's start) in the same room, wall ms or None."""
        s = t.sessions.c
        room = session["room"]
        same = s.room.is_(None) if room is None else s.room == room
        with self.engine.connect() as c:
            nxt = c.execute(select(s.started_ms).where(same, s.id != session["id"], s.started_ms.is_not(None),
                                                      s.started_ms >= (session["ended_ms"] or session["started_ms"] or 0))
                            .order_by(s.started_ms).limit(1)).scalar()
        return nxt

    def session_events(self, session: dict[str, Any], kind: str = "session") -> list[dict[str, Any]]:
        """The stored events of a session's puck during it (wall order): its phase changes, for the warning."""
        import json
        if not session.get("device") or session.get("started_ms") is None:
            return []
        e = t.events.c
        q = select(e.wall_ms, e.payload).where(e.device == session["device"], e.kind == kind,
                                               e.wall_ms >= session["started_ms"])
        if session.get("ended_ms") is not None:
            q = q.where(e.wall_ms <= session["ended_ms"])
        with self.engine.connect() as c:
            rows = c.execute(q.order_by(e.wall_ms).limit(500)).all()
        out = []
        for wall, payload in rows:
            p = json.loads(payload)
            if p.get("session") == session["id"]:
                out.append(dict(p, wall_ms=wall))
        return out

    # -- the practitioner's voice -----------------------------------------------------------------
    def practitioner_voice(self, sid: str) -> int | None:
        with self.engine.connect() as c:
            v = c.execute(select(review_voices.c.voice).where(review_voices.c.session_id == sid)).scalar()
        return None if v is None else int(v)

    def set_practitioner_voice(self, sid: str, voice: int | None, user: str, now: int) -> None:
        with self.lock, self.engine.begin() as c:
            if c.execute(select(t.sessions.c.id).where(t.sessions.c.id == sid)).first() is None:
                raise NotFound("no such session %r" % sid)
            c.execute(delete(review_voices).where(review_voices.c.session_id == sid))
            if voice is not None:
                c.execute(review_voices.insert().values(session_id=sid, voice=int(voice), set_by=user, set_ms=now))

    # -- reflection notes: the author's own ---------------------------------------------------------
    def note(self, sid: str, author: str) -> dict[str, Any] | None:
        n = review_notes.c
        with self.engine.connect() as c:
            r = c.execute(select(review_notes).where(n.session_id == sid, n.author == author)).mappings().first()
        return dict(r) if r else None

    def set_note(self, sid: str, author: str, text: str, now: int) -> None:
        if len(text) > NOTE_MAX:
            raise ConfigError("note: at most %d characters" % NOTE_MAX)
        n = review_notes.c
        with self.lock, self.engine.begin() as c:
            if c.execute(select(t.sessions.c.id).where(t.sessions.c.id == sid)).first() is None:
                raise NotFound("no such session %r" % sid)
            c.execute(delete(review_notes).where(n.session_id == sid, n.author == author))
            if text.strip():
                c.execute(review_notes.insert().values(session_id=sid, author=author, text=text, updated_ms=now))

    # -- series -----------------------------------------------------------------------------------
    def add_series(self, name: str | None, room: str, user: str, now: int) -> int:
        name = (name or "").strip()
        if not 1 <= len(name) <= NAME_MAX:
            raise ConfigError("series name: 1-%d characters" % NAME_MAX)
        with self.lock, self.engine.begin() as c:
            res = c.execute(review_series.insert().values(name=name, room=room, created_by=user, created_ms=now))
            return int(res.inserted_primary_key[0])

    def series(self, series_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as c:
            r = c.execute(select(review_series).where(review_series.c.id == series_id)).mappings().first()
            if r is None:
                return None
            ids = c.execute(select(review_series_sessions.c.session_id)
                            .where(review_series_sessions.c.series_id == series_id)).scalars().all()
        return dict(r, sessions=list(ids))

    def series_list(self, rooms: Collection[str] | None = None) -> list[dict[str, Any]]:
        q = select(review_series).order_by(review_series.c.name, review_series.c.id)
        rc = _room_cond(review_series.c.room, rooms)
        if rc is not None:
            q = q.where(rc)
        with self.engine.connect() as c:
            return [dict(r) for r in c.execute(q).mappings()]

    def series_of(self, sid: str) -> list[dict[str, Any]]:
        ss = review_series_sessions.c
        with self.engine.connect() as c:
            return [dict(r) for r in c.execute(select(review_series).join(
                review_series_sessions, ss.series_id == review_series.c.id).where(ss.session_id == sid)).mappings()]

    def set_in_series(self, series_id: int, sid: str, member: bool) -> None:
        """Put a session in a series (member=True) or take it out; the session must be of the series' room."""
        ss = review_series_sessions.c
        with self.lock, self.engine.begin() as c:
            ser = c.execute(select(review_series.c.room).where(review_series.c.id == series_id)).first()
            room = c.execute(select(t.sessions.c.room).where(t.sessions.c.id == sid)).first()
            if ser is None or room is None:
                raise NotFound("no such series or session")
            if (room[0] or NO_ROOM) != ser[0]:
                raise ConfigError("session %r is not in the series' room %r" % (sid, ser[0]))
            c.execute(delete(review_series_sessions).where(ss.series_id == series_id, ss.session_id == sid))
            if member:
                c.execute(review_series_sessions.insert().values(series_id=series_id, session_id=sid))

    def rename_series(self, series_id: int, name: str) -> None:
        with self.lock, self.engine.begin() as c:
            c.execute(update(review_series).where(review_series.c.id == series_id).values(name=name))

    # -- deletion ---------------------------------------------------------------------------------
    def delete_review_rows(self, sids: Iterable[str], conn: Connection | None = None) -> int:
        """Every review row of these sessions (their voice, everyone's notes, series memberships)."""
        def run(c: Connection) -> int:
            n = 0
            for table, col in SESSION_TABLES:
                n += int(c.execute(delete(table).where(table.c[col].in_(list(sids)))).rowcount or 0)
            return n
        if conn is not None:
            return run(conn)
        with self.lock, self.engine.begin() as c:
            return run(c)

    def rooms_seen(self, rooms: Collection[str] | None = None) -> list[str]:
        """The rooms that have sessions (for the filter's choices), limited to `rooms` unless None."""
        s = t.sessions.c
        q = select(s.room).where(s.started_ms.is_not(None)).distinct()
        rc = _room_cond(s.room, rooms)
        if rc is not None:
            q = q.where(rc)
        with self.engine.connect() as c:
            return [r or NO_ROOM for r in c.execute(q).scalars()]
