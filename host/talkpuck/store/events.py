"""events — stores each (device, boot, seq) once and applies it: turns, hands, session phases.

The event row and what it changes commit in one transaction, so a crash never leaves a turn
without its event or the other way round; a duplicate changes nothing and is counted.
Each event names the session it belongs to (`session_id`: the payload's session for a phase event,
else the device's running session), so deleting a session deletes its events (store.retention).
A turn heard outside any session is not kept: it is counted (`turns_outside_session`) and its
event row stays as a receipt with an empty payload, so duplicates and losses are still counted.
"""
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table, TextClause, func, select, text

from talkpuck.store import tables as t
from talkpuck.store.base import StoreParts


# PostgreSQL: a batch as one short statement with one array per column (unnest), so psycopg parses
# and the server plans it once, whatever the batch size (a multi-row VALUES of 1000 rows is a new,
# long statement each time: its client-side parsing cost more than the insert)
_EVENT_COLS = {"device": "text", "boot": "text", "seq": "int", "kind": "text", "dev_ms": "bigint",
               "wall_ms": "bigint", "received_ms": "bigint", "payload": "text", "session_id": "text"}
_TURN_COLS = {"device": "text", "boot": "text", "seq": "int", "session_id": "text", "voice": "int", "conf": "int",
              "start_ms": "bigint", "end_ms": "bigint", "dur_ms": "int", "level_db": "int",
              "cont": "boolean", "remote": "boolean"}


def _pg_unnest(table: str, cols: dict[str, str], returning: str = "") -> TextClause:
    return text("INSERT INTO %s (%s) SELECT * FROM unnest(%s) ON CONFLICT DO NOTHING%s" % (
        table, ", ".join(cols), ", ".join("CAST(:%s AS %s[])" % (k, v) for k, v in cols.items()), returning))


_PG_EVENTS = _pg_unnest("events", _EVENT_COLS, " RETURNING device, boot, seq")
_PG_TURNS = _pg_unnest("turns", _TURN_COLS)

# SQLite: a batch as multi-row VALUES with positional parameters, sent to the driver as it is
# (SQLAlchemy's compiled executemany spent ~40 us per row building parameters); SQLite 3.32 and
# newer take 32,766 parameters per statement, so 1,000 rows of 11 columns fit in one
_SQLITE_ROWS = 1000

# one event as add_events takes it: (device, boot, seq, kind, dev_ms, wall_ms, received_ms, payload, times[, text])
EventItem = tuple[Any, ...]


def _sqlite_insert(c: Connection, table: str, cols: dict[str, str], rows: list[dict[str, Any]], returning: str = "") -> list[Any]:
    """Insert-or-ignore `rows` (dicts) in statements of at most _SQLITE_ROWS rows; the rows returned."""
    out: list[Any] = []
    names = list(cols)
    one = "(%s)" % ",".join("?" * len(names))
    for i in range(0, len(rows), _SQLITE_ROWS):
        part = rows[i:i + _SQLITE_ROWS]
        sql = "INSERT INTO %s (%s) VALUES %s ON CONFLICT DO NOTHING%s" % (
            table, ", ".join(names), ",".join([one] * len(part)), returning)
        res = c.exec_driver_sql(sql, tuple([r[k] for r in part for k in names]))
        if returning:
            out.extend(res.all())
    return out


class EventsMixin(StoreParts):
    def add_event(self, device: str, boot: str, seq: int, kind: str, dev_ms: int, wall_ms: int, received_ms: int,
                  payload: dict[str, Any], times: dict[str, int] | None = None, text: str | None = None) -> bool:
        """Store one event; returns True if stored, False if (device, boot, seq) was already there.

        `times` maps puck-clock fields of the payload (start_ms, end_ms) to wall ms (ingest's job);
        `text`, the payload's JSON text as the puck sent it, is kept as it is (else `payload` is encoded).
        """
        return self.add_events([(device, boot, seq, kind, dev_ms, wall_ms, received_ms, payload, times, text)])[0]

    def add_events(self, items: Sequence[EventItem]) -> list[bool]:
        """Store a batch of events in ONE transaction; returns one bool per item (False: a duplicate).

        Each item is (device, boot, seq, kind, dev_ms, wall_ms, received_ms, payload, times[, text]). Writes
        are insert-or-ignore keyed by (device, boot, seq) (the unique constraint decides, on SQLite and
        PostgreSQL alike), so a message handed twice, by one worker or by two, is stored once. Turns,
        vad and mic events go in as one multi-row INSERT per run (and one for their turn rows): a
        batch costs a few round trips, not several per event. Session and hand events change what
        follows them (the device's running session, the hand queue): they are applied one by one, in
        order. Nothing is written if the transaction fails: the caller hands the whole batch again.
        """
        out = [False] * len(items)
        if not items:
            return out
        with self.lock:
            new_boots: set[tuple[str, str]] = set()
            with self.engine.begin() as c:
                seen: set[tuple[str, str, int]] = set()
                sessions: dict[str, str | None] = {}    # device -> its running session, within this batch
                run: list[int] = []              # indexes of bulk events waiting to be inserted
                counts = {"duplicates_dropped": 0, "turns_outside_session": 0}
                for i, it in enumerate(items):
                    device, boot, seq, kind = it[0], it[1], it[2], it[3]
                    if (device, boot) not in self._known_boots and (device, boot) not in new_boots:
                        self._ensure_device(c, device, it[6])
                        self._ensure_boot(c, device, boot, it[6])
                        new_boots.add((device, boot))
                    if (device, boot, seq) in seen:      # the same event twice in one batch
                        counts["duplicates_dropped"] += 1
                        continue
                    seen.add((device, boot, seq))
                    if kind in ("session", "hand"):
                        self._insert_run(c, items, run, sessions, out, counts)
                        run = []
                        sid = it[7].get("session") if kind == "session" else self._session_of(c, device, sessions)
                        if self._insert_events(c, [self._event_row(it, sid, it[7])]):
                            out[i] = True
                            getattr(self, "_apply_" + kind)(c, device, boot, seq, it[5], it[7], it[8] or {})
                        else:
                            counts["duplicates_dropped"] += 1
                        sessions.pop(device, None)       # a phase event may have started or ended one
                    else:
                        run.append(i)
                self._insert_run(c, items, run, sessions, out, counts)
                for name, n in counts.items():
                    if n:
                        self._incr(c, name, n)
            self._known_boots.update(new_boots)
        return out

    def _session_of(self, c: Connection, device: str, cache: dict[str, str | None]) -> str | None:
        if device not in cache:
            cache[device] = self._current_session(c, device)
        return cache[device]

    @staticmethod
    def _event_row(it: EventItem, sid: str | None, payload: dict[str, Any]) -> dict[str, Any]:
        device, boot, seq, kind, dev_ms, wall_ms, received_ms = it[:7]
        text = it[9] if payload is it[7] and len(it) > 9 else None   # the puck's own text, already checked
        if not text:
            text = json.dumps(payload, separators=(",", ":")) if payload else "{}"   # {}: a turn not kept
        return dict(device=device, boot=boot, seq=seq, kind=kind, dev_ms=dev_ms, wall_ms=wall_ms,
                    received_ms=received_ms, payload=text, session_id=sid or None)

    def _insert_or_ignore(self, table: Table) -> Any:
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects import postgresql
            return postgresql.insert(table).on_conflict_do_nothing()
        from sqlalchemy.dialects import sqlite
        return sqlite.insert(table).on_conflict_do_nothing()

    def _insert_events(self, c: Connection, rows: list[dict[str, Any]]) -> set[tuple[str, str, int]]:
        """Insert-or-ignore `rows` into events; the set of (device, boot, seq) actually inserted."""
        if not rows:
            return set()
        if self.engine.dialect.name == "postgresql" and len(rows) > 1:
            res: Sequence[Any] = c.execute(_PG_EVENTS, {k: [r[k] for r in rows] for k in _EVENT_COLS}).all()
        elif self.engine.dialect.name == "sqlite":
            res = _sqlite_insert(c, "events", _EVENT_COLS, rows, " RETURNING device, boot, seq")
        else:
            e = t.events.c
            res = c.execute(self._insert_or_ignore(t.events).returning(e.device, e.boot, e.seq), rows).all()
        return {(r[0], r[1], r[2]) for r in res}

    def _insert_run(self, c: Connection, items: Sequence[EventItem], run: list[int], sessions: dict[str, str | None],
                    out: list[bool], counts: dict[str, int]) -> None:
        """One multi-row insert for a run of turn/vad/mic events, then one for their turns."""
        rows: list[dict[str, Any]] = []
        turns: list[dict[str, Any]] = []
        sessions.update(self._current_sessions(c, {items[i][0] for i in run} - sessions.keys()))
        for i in run:
            it = items[i]
            sid = self._session_of(c, it[0], sessions)
            payload = it[7]
            if it[3] == "turn" and sid is None:
                payload = {}      # heard between sessions: not kept, only counted
            rows.append(self._event_row(it, sid, payload))
        stored = self._insert_events(c, rows)
        for i, row in zip(run, rows):
            it = items[i]
            if (it[0], it[1], it[2]) not in stored:
                counts["duplicates_dropped"] += 1
                continue
            out[i] = True
            if it[3] == "turn":
                if row["session_id"] is None:
                    counts["turns_outside_session"] += 1
                else:
                    turns.append(self._turn_row(it[0], it[1], it[2], row["session_id"], it[5], it[7], it[8] or {}))
        if turns and self.engine.dialect.name == "postgresql":
            c.execute(_PG_TURNS, {k: [r[k] for r in turns] for k in _TURN_COLS})
        elif turns and self.engine.dialect.name == "sqlite":
            _sqlite_insert(c, "turns", _TURN_COLS, turns)
        elif turns:
            c.execute(self._insert_or_ignore(t.turns), turns)

    @staticmethod
    def _turn_row(device: str, boot: str, seq: int, sid: str, wall_ms: int, p: dict[str, Any],
                  times: dict[str, int]) -> dict[str, Any]:
        start = times.get("start_ms", wall_ms - max(0, p["end_ms"] - p["start_ms"]))
        end = times.get("end_ms", wall_ms)
        return dict(device=device, boot=boot, seq=seq, session_id=sid, voice=p["voice"], conf=p.get("conf"),
                    start_ms=start, end_ms=end, dur_ms=max(0, end - start), level_db=p.get("level_db"),
                    cont=bool(p.get("cont")), remote=p.get("remote"))  # None: unknown (protocol §1)

    # -- queries ----------------------------------------------------------------------------------
    def events(self, device: str | None = None, kind: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        q = select(t.events).order_by(t.events.c.device, t.events.c.boot, t.events.c.seq)
        if device:
            q = q.where(t.events.c.device == device)
        if kind:
            q = q.where(t.events.c.kind == kind)
        with self.engine.connect() as c:
            rows = c.execute(q.limit(limit)).mappings().all()
        return [dict(r, payload=json.loads(r["payload"])) for r in rows]

    def count(self, table_name: str) -> int:
        table = t.metadata.tables[table_name]
        with self.engine.connect() as c:
            return int(c.execute(select(func.count()).select_from(table)).scalar())

    def gaps(self) -> list[dict[str, Any]]:
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

    def max_seq(self, device: str, boot: str) -> int | None:
        """The highest seq stored for (device, boot), or None."""
        e = t.events.c
        with self.engine.connect() as c:
            v = c.execute(select(func.max(e.seq)).where(e.device == device, e.boot == boot)).scalar()
        return None if v is None else int(v)

    def events_lost(self) -> int:
        return sum(g["lost"] for g in self.gaps())
