"""retention — deleting what the host keeps: a session, a room's data, a remote participant's name, and
everything older than the installation's retention period (docs/privacy.md §6).

Table-driven: every table of the schema has one `Rule` in RULES, saying how its rows go:

    session   the column naming the session a row belongs to: the row is deleted with that session
    room      the column naming a room: the row is deleted with that room's data
    device    the column naming a device: rows of no session go with the data of the device's room
    time      the column (or a function of the table giving an expression) of the row's wall time in
              Unix ms: a row of no session older than the retention period is deleted
    names     columns holding a person's name (remote participants): `forget_name` blanks them
    keep      instead of all that: why the table holds nothing about a session and stays
    before    a hook(conn, table, where) run before rows are deleted (events: count them per boot,
              so a deleted event is never reported lost)

A table added later registers its rule next to its definition: `retention.register(Rule(...))`.
`tests/host/test_retention.py` walks the schema's metadata and fails for a table without a rule.
A deletion runs in one transaction under the store's write lock and returns the rows deleted per table.
"""
import json
from collections.abc import Callable, Collection, Iterable
from typing import Any

from puckcore.protocol import LIVE_PHASES
from sqlalchemy import Column, ColumnElement, Connection, Table, and_, delete, func, or_, select, true, update

from talkpuck.errors import ConfigError, NotFound
from talkpuck.store import tables as t
from talkpuck.store.base import StoreParts

DAY_MS = 86400 * 1000


class Rule:
    def __init__(self, table: str, session: str | None = None, room: str | None = None, device: str | None = None,
                 time: str | Callable[[Table], ColumnElement[Any]] | None = None, names: Iterable[str] = (),
                 keep: str | None = None, before: Callable[[Connection, Table, ColumnElement[bool]], None] | None = None) -> None:
        if keep is None and session is None and room is None and time is None:
            raise ValueError("rule for %s: say how its rows go (session/room/time) or why it is kept" % table)
        self.table = table
        self.session = session
        self.room = room
        self.device = device
        self.time = time
        self.names = tuple(names)
        self.keep = keep
        self.before = before

    def col(self, name: str) -> Column[Any]:
        return t.metadata.tables[self.table].c[name]

    def time_expr(self) -> ColumnElement[Any]:
        tbl = t.metadata.tables[self.table]
        if self.time is None:
            raise ValueError("rule for %s has no time" % self.table)
        return self.time(tbl) if callable(self.time) else tbl.c[self.time]


RULES: dict[str, Rule] = {}  # table name -> Rule (register())


def register(rule: Rule) -> Rule:
    """Add (or replace) the rule of one table."""
    RULES[rule.table] = rule
    return rule


def _count_deleted_events(conn: Connection, table: Table, where: ColumnElement[bool]) -> None:
    """Deleted on purpose is not lost: add the events to their boot's deleted count (gaps())."""
    e, b = table.c, t.boots.c
    q = select(e.device, e.boot, func.count(), func.max(e.seq)).where(where).group_by(e.device, e.boot)
    for device, boot, n, max_seq in conn.execute(q).all():
        key = (b.device == device, b.boot == boot)
        row = conn.execute(select(b.deleted_events, b.deleted_max_seq).where(*key)).first()
        if row is None:
            conn.execute(t.boots.insert().values(device=device, boot=boot, deleted_events=int(n),
                                                 deleted_max_seq=int(max_seq)))
        else:
            conn.execute(update(t.boots).where(*key).values(
                deleted_events=int(row[0] or 0) + int(n), deleted_max_seq=max(int(row[1] or 0), int(max_seq))))


# the session row's own time: when it ended, else started, else was asked for
def _session_time(tbl: Table) -> ColumnElement[Any]:
    return func.coalesce(tbl.c.ended_ms, tbl.c.started_ms, tbl.c.requested_ms)


for _rule in (
    Rule("sessions", session="id", room="room", time=_session_time),
    Rule("events", session="session_id", device="device", time="received_ms", before=_count_deleted_events),
    Rule("turns", session="session_id", device="device", time="end_ms"),
    Rule("hands", session="session_id", room="room", time="raised_ms", names=("name",)),
    Rule("commands", session="session_id", device="device", time="ts_ms"),
    Rule("devices", keep="one row per puck: its id, room, firmware, online flag and last reported state and "
                         "health; nothing about a past session (a deleted session's id is taken out of it)"),
    Rule("boots", keep="one row per puck start: boot id, clock anchor, last sequence number and how many "
                       "events were deleted on purpose, so lost messages can be counted"),
    Rule("rooms", keep="a room's setting (its minimum break between sessions)"),
    Rule("counters", keep="running totals (duplicates dropped, messages rejected by reason, HTTP errors, "
                          "turns heard outside a session): numbers only"),
    Rule("schema_version", keep="which migrations have run"),
    # logins (issue 12) live in store/users.py: accounts and room assignments, not data about a session
    Rule("users", keep="login accounts (issue 12): name, role, password hash"),
    Rule("user_rooms", keep="which rooms a login may see (issue 12)"),
    Rule("web_sessions", keep="browser logins (issue 12), expired by the login code"),
    Rule("login_tokens", keep="one-time login tokens (issue 12), expired by the login code"),
):
    register(_rule)


def rule_for(table_name: str) -> Rule:
    try:
        return RULES[table_name]
    except KeyError:
        raise ConfigError("table %s has no retention rule (store/retention.py RULES)" % table_name)


def _tables() -> list[tuple[Table, Rule]]:
    """The schema's tables with their rules, children before the sessions table."""
    out = [(tbl, rule_for(name)) for name, tbl in t.metadata.tables.items()]
    return sorted(out, key=lambda p: p[0].name == "sessions")


def _delete(conn: Connection, tbl: Table, rule: Rule, where: ColumnElement[bool], counts: dict[str, int]) -> None:
    if rule.before is not None:
        rule.before(conn, tbl, where)
    n = int(conn.execute(delete(tbl).where(where)).rowcount or 0)
    if n:
        counts[tbl.name] = counts.get(tbl.name, 0) + n


def _delete_sessions(conn: Connection, sids: Collection[str], counts: dict[str, int]) -> None:
    """Every row of every table that belongs to one of `sids`, and the sessions themselves."""
    if not sids:
        return
    ids = list(sids)
    for i in range(0, len(ids), 500):      # bounded IN lists
        chunk = ids[i:i + 500]
        for tbl, rule in _tables():
            if rule.session is not None:
                _delete(conn, tbl, rule, tbl.c[rule.session].in_(chunk), counts)
    _scrub_device_state(conn, set(sids))


def _scrub_device_state(conn: Connection, sids: set[str]) -> None:
    """A puck's last retained `state` may still name a deleted session: take the id out."""
    d = t.devices.c
    for dev, state in conn.execute(select(d.id, d.state).where(d.state.is_not(None))).all():
        doc = json.loads(state)
        if doc.get("session") in sids:
            doc["session"] = None
            conn.execute(update(t.devices).where(d.id == dev).values(state=json.dumps(doc)))


def _refuse_live(conn: Connection, sids: Collection[str], force: bool) -> None:
    if force or not sids:
        return
    s = t.sessions.c
    live = conn.execute(select(s.id).where(s.id.in_(list(sids)[:500]), s.phase.in_(LIVE_PHASES))).scalars().all()
    if live:
        raise ConfigError("session %s is running: end it first (or force the deletion)" % live[0])


class RetentionMixin(StoreParts):
    def delete_session(self, sid: str, force: bool = False) -> dict[str, int]:
        """Delete one session and every row that belongs to it; returns rows deleted per table."""
        counts: dict[str, int] = {}
        with self.lock, self.engine.begin() as c:
            if c.execute(select(t.sessions.c.id).where(t.sessions.c.id == sid)).first() is None:
                raise NotFound("no session %r stored" % sid)
            _refuse_live(c, [sid], force)
            _delete_sessions(c, [sid], counts)
        return counts

    def delete_room(self, room: str, force: bool = False) -> dict[str, int]:
        """Delete one room's data: its sessions (with all their rows), its hands, and what its pucks sent
        outside a session. The room's setting and its pucks stay. Returns rows deleted per table."""
        counts: dict[str, int] = {}
        with self.lock, self.engine.begin() as c:
            s = t.sessions.c
            sids = c.execute(select(s.id).where(s.room == room)).scalars().all()
            devices = [r[0] for r in c.execute(select(t.devices.c.id, t.devices.c.room_override,
                                                      t.devices.c.room_reported)).all()
                       if (r[1] or r[2]) == room]
            _refuse_live(c, sids, force)
            _delete_sessions(c, sids, counts)
            for tbl, rule in _tables():
                conds = []
                if rule.room is not None:
                    conds.append(tbl.c[rule.room] == room)
                if rule.device is not None and devices:
                    no_session = tbl.c[rule.session].is_(None) if rule.session else true()
                    conds.append(and_(tbl.c[rule.device].in_(devices), no_session))
                if conds and rule.keep is None:
                    _delete(c, tbl, rule, or_(*conds), counts)
        return counts

    def forget_name(self, name: str, room: str | None = None) -> int:
        """Blank a remote participant's name wherever it is kept (the hand rows stay, nameless);
        returns how many rows held it."""
        n = 0
        with self.lock, self.engine.begin() as c:
            for tbl, rule in _tables():
                for col in rule.names:
                    cond = [tbl.c[col] == name]
                    if room is not None and rule.room is not None:
                        cond.append(tbl.c[rule.room] == room)
                    n += int(c.execute(update(tbl).where(*cond).values({col: None})).rowcount or 0)
        return n

    def remote_names(self, room: str | None = None) -> dict[str, int]:
        """The remote participants' names kept, with how many rows hold each: {name: rows}."""
        out: dict[str, int] = {}
        with self.engine.connect() as c:
            for tbl, rule in _tables():
                for col in rule.names:
                    q = select(tbl.c[col], func.count()).where(tbl.c[col].is_not(None)).group_by(tbl.c[col])
                    if room is not None and rule.room is not None:
                        q = q.where(tbl.c[rule.room] == room)
                    for name, k in c.execute(q).all():
                        out[name] = out.get(name, 0) + int(k)
        return out

    def prune(self, retention_days: int, now_ms: int) -> dict[str, int]:
        """Delete every session older than `retention_days` (by its end, else start, else request) with all
        its rows, and every row of no session older than that; returns rows deleted per table."""
        cutoff = int(now_ms) - int(retention_days) * DAY_MS
        counts: dict[str, int] = {}
        with self.lock, self.engine.begin() as c:
            sids = c.execute(select(t.sessions.c.id).where(_session_time(t.sessions) < cutoff)).scalars().all()
            _delete_sessions(c, sids, counts)
            for tbl, rule in _tables():
                if rule.time is None or rule.keep is not None or tbl.name == "sessions":
                    continue
                cond = rule.time_expr() < cutoff
                if rule.session is not None:   # of no session, or of one no longer stored
                    sc = tbl.c[rule.session]
                    cond = and_(or_(sc.is_(None), sc.not_in(select(t.sessions.c.id))), cond)
                _delete(c, tbl, rule, cond, counts)
        return counts
