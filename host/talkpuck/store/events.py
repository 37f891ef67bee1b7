"""events — stores each (device, boot, seq) once and applies it: turns, hands, session phases.

The event row and what it changes commit in one transaction, so a crash never leaves a turn
without its event or the other way round; a duplicate changes nothing and is counted.
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
                    c.execute(t.events.insert().values(
                        device=device, boot=boot, seq=seq, kind=kind, dev_ms=dev_ms, wall_ms=wall_ms,
                        received_ms=received_ms, payload=json.dumps(payload, separators=(",", ":"))))
                    apply = getattr(self, "_apply_" + kind, None)
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
            level_db=p.get("level_db"), cont=bool(p.get("cont"))))

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
        """Per (device, boot): stored, highest seq, last seq reported by the next boot, lost."""
        e = t.events.c
        q = (select(e.device, e.boot, func.count().label("stored"), func.max(e.seq).label("max_seq"))
             .group_by(e.device, e.boot))
        with self.engine.connect() as c:
            rows = c.execute(q).all()
            reported = {(r[0], r[1]): r[2] for r in c.execute(
                select(t.boots.c.device, t.boots.c.boot, t.boots.c.last_seq_reported))}
        out = []
        for device, boot, stored, max_seq in rows:
            last = max(int(max_seq), int(reported.get((device, boot)) or 0))
            out.append({"device": device, "boot": boot, "stored": int(stored), "max_seq": int(max_seq),
                        "last_seq_reported": reported.get((device, boot)), "lost": last - int(stored)})
        return out

    def events_lost(self):
        return sum(g["lost"] for g in self.gaps())
