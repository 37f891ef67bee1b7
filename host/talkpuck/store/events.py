"""events — stores each (device, boot, seq) once and applies it: turns, hands, session phases.

The event row and what it changes commit in one transaction, so a crash never leaves a turn
without its event or the other way round; a duplicate changes nothing and is counted.
Each event names the session it belongs to (`session_id`: the payload's session for a phase event,
else the device's running session), so deleting a session deletes its events (store.retention).
A turn heard outside any session is not kept: it is counted (`turns_outside_session`) and its
event row stays as a receipt with an empty payload, so duplicates and losses are still counted.
"""
import json

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from talkpuck.store import tables as t


class EventsMixin:
    def add_event(self, device, boot, seq, kind, dev_ms, wall_ms, received_ms, payload, times=None):
        """Store one event; returns True if stored, False if (device, boot, seq) was already there.

        `times` maps puck-clock fields of the payload (start_ms, end_ms) to wall ms (ingest's job).
        """
        times = times or {}
        with self.lock:
            try:
                with self.engine.begin() as c:
                    if (device, boot) not in self._known_boots:   # saves two round trips per event
                        self._ensure_device(c, device, received_ms)
                        self._ensure_boot(c, device, boot, received_ms)
                    sid = payload.get("session") if kind == "session" else self._current_session(c, device)
                    if kind == "turn" and sid is None:
                        payload = {}      # heard between sessions: not kept, only counted
                        self._incr(c, "turns_outside_session", 1)
                    c.execute(t.events.insert().values(
                        device=device, boot=boot, seq=seq, kind=kind, dev_ms=dev_ms, wall_ms=wall_ms,
                        received_ms=received_ms, payload=json.dumps(payload, separators=(",", ":")),
                        session_id=sid or None))
                    apply = getattr(self, "_apply_" + kind, None)
                    if kind == "turn" and not payload:
                        apply = None
                    if apply is not None:
                        apply(c, device, boot, seq, wall_ms, payload, times)
                self._known_boots.add((device, boot))
                return True
            except IntegrityError:
                self.incr("duplicates_dropped")
                return False

    def _apply_turn(self, c, device, boot, seq, wall_ms, p, times):
        start = times.get("start_ms", wall_ms - max(0, p["end_ms"] - p["start_ms"]))
        end = times.get("end_ms", wall_ms)
        c.execute(t.turns.insert().values(
            device=device, boot=boot, seq=seq, session_id=self._current_session(c, device),
            voice=p["voice"], conf=p.get("conf"), start_ms=start, end_ms=end, dur_ms=max(0, end - start),
            level_db=p.get("level_db")))

    # -- queries ----------------------------------------------------------------------------------
    def events(self, device=None, kind=None, limit=1000):
        q = select(t.events).order_by(t.events.c.device, t.events.c.boot, t.events.c.seq)
        if device:
            q = q.where(t.events.c.device == device)
        if kind:
            q = q.where(t.events.c.kind == kind)
        with self.engine.connect() as c:
            rows = c.execute(q.limit(limit)).mappings().all()
        return [dict(r, payload=json.loads(r["payload"])) for r in rows]

    def count(self, table_name):
        table = t.metadata.tables[table_name]
        with self.engine.connect() as c:
            return int(c.execute(select(func.count()).select_from(table)).scalar())

    def gaps(self):
        """Per (device, boot): stored, highest seq, last seq reported by the next boot, lost.

        Events deleted on purpose (store.retention) are counted in `boots` and are not lost."""
        e, b = t.events.c, t.boots.c
        q = (select(e.device, e.boot, func.count().label("stored"), func.max(e.seq).label("max_seq"))
             .group_by(e.device, e.boot))
        with self.engine.connect() as c:
            stored_rows = {(r[0], r[1]): (int(r[2]), int(r[3])) for r in c.execute(q).all()}
            boots = {(r[0], r[1]): (r[2], int(r[3] or 0), int(r[4] or 0)) for r in c.execute(
                select(b.device, b.boot, b.last_seq_reported, b.deleted_events, b.deleted_max_seq))}
        out = []
        for key in sorted(set(stored_rows) | {k for k, v in boots.items() if v[1]}):
            stored, max_seq = stored_rows.get(key, (0, 0))
            reported, deleted, deleted_max = boots.get(key, (None, 0, 0))
            last = max(max_seq, deleted_max, int(reported or 0))
            out.append({"device": key[0], "boot": key[1], "stored": stored, "max_seq": max(max_seq, deleted_max),
                        "last_seq_reported": reported, "deleted": deleted, "lost": last - stored - deleted})
        return out

    def max_seq(self, device, boot):
        """The highest seq stored for (device, boot), or None."""
        e = t.events.c
        with self.engine.connect() as c:
            v = c.execute(select(func.max(e.seq)).where(e.device == device, e.boot == boot)).scalar()
        return None if v is None else int(v)

    def events_lost(self):
        return sum(g["lost"] for g in self.gaps())
