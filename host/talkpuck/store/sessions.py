"""sessions — session rows from host requests and puck phase events, and break tracking per room.

A session starts when its first `running` event arrives (or is resumed after a reboot); the break
before it is measured from the end of the room's previous session and flagged when shorter than
the room's minimum break.
"""
from puckcore.protocol import LIVE_PHASES
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update

from talkpuck.store import tables as t
from talkpuck.store.live import stmt
from talkpuck.store.base import StoreParts


class SessionsMixin(StoreParts):
    def request_session(self, session_id: str, device: str, limit_s: int | None, warn_s: int | None, purpose: str | None,
                        now: int) -> None:
        """A session the host asked a puck to start (cmd/session_start); it starts on the puck's event."""
        with self.lock, self.engine.begin() as c:
            self._ensure_device(c, device, now)
            c.execute(t.sessions.insert().values(
                id=session_id, device=device, room=self.room_of(device, c), source="host", purpose=purpose,
                limit_s=limit_s, warn_s=warn_s, phase="requested", requested_ms=now, extended_s=0,
                short_break=False))

    def _current_session(self, c: Connection, device: str) -> str | None:
        s = t.sessions.c
        q = stmt("current_session", lambda: select(s.id).where(s.device == bindparam("d_id"), s.phase.in_(LIVE_PHASES))
                 .order_by(s.started_ms.desc()).limit(1))   # built once: every command sent reads it
        return c.execute(q, {"d_id": device}).scalar()

    def _current_sessions(self, c: Connection, devices: Iterable[str]) -> dict[str, str | None]:
        """{device: its running session or None} for many devices in one query (a batch of events from
        hundreds of pucks must not cost a query per puck); the latest start wins, as in _current_session."""
        s = t.sessions.c
        out: dict[str, str | None] = dict.fromkeys(devices)
        best: dict[str, Any] = {}
        if devices:
            rows = c.execute(select(s.device, s.id, s.started_ms)
                             .where(s.device.in_(sorted(devices)), s.phase.in_(LIVE_PHASES)))
            for device, sid, started in rows:
                key = -1 if started is None else started
                if device not in best or key > best[device]:
                    best[device] = key
                    out[device] = sid
        return out

    def _apply_session(self, c: Connection, device: str, boot: str, seq: int, wall_ms: int, p: dict[str, Any],
                       times: dict[str, int]) -> None:
        sid = p.get("session")
        phase = p["phase"]
        if not sid:
            return
        s = t.sessions.c
        row = c.execute(select(t.sessions).where(s.id == sid)).mappings().first()
        if row is None:
            c.execute(t.sessions.insert().values(
                id=sid, device=device, room=self.room_of(device, c),
                source="host" if p.get("cause") == "cmd" else "puck", phase=phase,
                limit_s=p.get("limit_s"), warn_s=p.get("warn_s"), extended_s=0, short_break=False))
            row = c.execute(select(t.sessions).where(s.id == sid)).mappings().one()   # the row just inserted
        vals: dict[str, Any] = {"limit_s": p.get("limit_s", row["limit_s"])}
        if row["phase"] != "ended" or phase == "ended":
            vals["phase"] = phase
        if row["limit_s"] and p.get("limit_s") and p["limit_s"] > row["limit_s"]:
            vals["extended_s"] = (row["extended_s"] or 0) + p["limit_s"] - row["limit_s"]
        if phase in LIVE_PHASES and row["started_ms"] is None:
            # first phase event we see: the start is `limit - remaining` before it
            elapsed_ms = max(0, (p.get("limit_s", 0) - p.get("remaining_s", 0)) * 1000) if phase == "running" else 0
            started = wall_ms - elapsed_ms
            vals["started_ms"] = started
            vals.update(self._break_before(c, row["room"], sid, started))
        if phase in ("ended", "break") and row["ended_ms"] is None:
            vals["ended_ms"] = wall_ms
            vals["phase"] = "ended"
        c.execute(update(t.sessions).where(s.id == sid).values(**vals))

    def _break_before(self, c: Connection, room: str, sid: str, started: int) -> dict[str, Any]:
        s = t.sessions.c
        prev = c.execute(select(s.ended_ms).where(s.room == room, s.id != sid, s.ended_ms.is_not(None),
                                                  s.ended_ms <= started)
                         .order_by(s.ended_ms.desc()).limit(1)).scalar()
        if prev is None:
            return {"break_before_s": None, "short_break": False}
        gap_s = int((started - prev) // 1000)
        return {"break_before_s": gap_s, "short_break": gap_s < self.min_break_s(room, c)}

    def close_left_open(self, device: str) -> list[str]:
        """End the device's sessions a previous run left open (the demo's simulated pucks start afresh):
        a started one ends at the last time anything was heard of it, phase `ended`; one requested but
        never started becomes `cancelled`. Returns the ids closed."""
        s, e = t.sessions.c, t.events.c
        closed: list[str] = []
        with self.lock, self.engine.begin() as c:
            rows = c.execute(select(s.id, s.started_ms, s.requested_ms).where(
                s.device == device, s.phase.in_(tuple(LIVE_PHASES) + ("requested",)))).all()
            for sid, started, _requested in rows:
                if started is None:
                    c.execute(update(t.sessions).where(s.id == sid).values(phase="cancelled"))
                else:
                    last = c.execute(select(func.max(e.wall_ms)).where(e.session_id == sid)).scalar()
                    c.execute(update(t.sessions).where(s.id == sid).values(
                        phase="ended", ended_ms=max(int(last or started), int(started))))
                closed.append(sid)
        return closed

    # -- queries ----------------------------------------------------------------------------------
    def sessions(self, room: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """The newest `limit` sessions, newest first, by start (else request) time: a session started
        on a puck (id `<device>:<boot>:<seq>`) sorts by when it ran, like any other."""
        s = t.sessions.c
        q = select(t.sessions).order_by(func.coalesce(s.started_ms, s.requested_ms, 0).desc(), s.id.desc())
        if room:
            q = q.where(s.room == room)
        with self.engine.connect() as c:
            rows = [dict(r) for r in c.execute(q.limit(limit)).mappings()]
        rows.sort(key=lambda r: r["started_ms"] or r["requested_ms"] or 0, reverse=True)
        return rows

    def session(self, sid: str) -> dict[str, Any] | None:
        with self.engine.connect() as c:
            r = c.execute(select(t.sessions).where(t.sessions.c.id == sid)).mappings().first()
        return dict(r) if r else None

    def session_turns(self, sid: str) -> list[dict[str, Any]]:
        with self.engine.connect() as c:
            return [dict(r) for r in c.execute(select(t.turns).where(t.turns.c.session_id == sid)
                                               .order_by(t.turns.c.start_ms, t.turns.c.id)).mappings()]

    def session_hands(self, sid: str) -> list[dict[str, Any]]:
        with self.engine.connect() as c:
            return [dict(r) for r in c.execute(select(t.hands).where(t.hands.c.session_id == sid)
                                               .order_by(t.hands.c.raised_ms)).mappings()]

    def current_session(self, device: str) -> dict[str, Any] | None:
        with self.engine.connect() as c:
            sid = self._current_session(c, device)
        return self.session(sid) if sid else None
