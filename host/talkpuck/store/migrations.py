"""migrations — numbered schema migrations, applied in order and recorded in schema_version.

Add a function named `mNNN_what` and append it to MIGRATIONS; its number is the one in its name
(numbers only grow; two branches may each take one, so a gap is fine). Never edit one that has
shipped. A migration that adds a column to a table of tables.py checks for it first: m001 creates
the tables as tables.py declares them today, columns of later migrations included. Each runs in its own
transaction, so a failed migration leaves the previous version intact (PostgreSQL; SQLite DDL is
transactional too through SQLAlchemy's pysqlite handling for CREATE TABLE).
"""
import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Connection, Engine, Table, inspect, select, text, update

from talkpuck.store import tables as t

log = logging.getLogger(__name__)


def m001_initial(conn: Connection) -> None:
    """The walking skeleton's tables."""
    for table in (t.devices, t.boots, t.events, t.sessions, t.turns, t.hands, t.commands, t.rooms,
                  t.counters):
        table.create(conn, checkfirst=True)


def m002_users(conn: Connection) -> None:
    """Web logins: users and their rooms, login sessions, one-time login links (store/users.py)."""
    from talkpuck.store import users as u
    for table in u.TABLES:
        table.create(conn, checkfirst=True)



def _add_missing_columns(conn: Connection, table: Table, names: Iterable[str]) -> None:
    have = {c["name"] for c in inspect(conn).get_columns(table.name)}
    for name in names:
        if name in have:
            continue
        col = table.c[name]
        ddl = "ALTER TABLE %s ADD COLUMN %s %s" % (table.name, name, col.type.compile(conn.dialect))
        default: Any = col.default     # a ColumnDefault: the stubs' DefaultGenerator has no `arg`
        if default is not None and not callable(default.arg):
            ddl += " NOT NULL DEFAULT %d" % default.arg
        conn.execute(text(ddl))
    for index in table.indexes:
        index.create(conn, checkfirst=True)


def m003_retention(conn: Connection) -> None:
    """Deletion and retention (issue 13): events and commands name their session, boots count the
    events deleted on purpose (so they are not reported lost), turns are indexed by session. Existing
    rows are linked to their session (a session event by its payload, a session_start command by its
    args, anything else by its device and time inside the session); the purpose text is taken out of
    the stored session_start commands (it stays in the session row only)."""
    _add_missing_columns(conn, t.events, ("session_id",))
    _add_missing_columns(conn, t.commands, ("session_id",))
    _add_missing_columns(conn, t.boots, ("deleted_events", "deleted_max_seq"))
    _add_missing_columns(conn, t.turns, ())
    e, c, s = t.events.c, t.commands.c, t.sessions.c
    for row in conn.execute(select(e.id, e.payload).where(e.kind == "session", e.session_id.is_(None))).all():
        sid = json.loads(row[1]).get("session")
        if sid:
            conn.execute(update(t.events).where(e.id == row[0]).values(session_id=sid))
    for row in conn.execute(select(c.id, c.args).where(c.verb == "session_start")).all():
        args = json.loads(row[1])
        args.pop("purpose", None)
        conn.execute(update(t.commands).where(c.id == row[0])
                     .values(session_id=args.get("session"), args=json.dumps(args)))
    for sess in conn.execute(select(s.id, s.device, s.started_ms, s.ended_ms)
                             .where(s.started_ms.is_not(None))).all():
        sid, device, start, end = sess
        for table, col, when in ((t.events, e, e.wall_ms), (t.commands, c, c.ts_ms)):
            cond = [col.device == device, col.session_id.is_(None), when >= start]
            if end is not None:
                cond.append(when <= end)
            conn.execute(update(table).where(*cond).values(session_id=sid))


def m010_review(conn: Connection) -> None:
    """Reviewing sessions (issue 14): the practitioner's voice per session, private reflection notes,
    series of sessions (store/review.py), and the indexes the sessions list and review pages need."""
    from talkpuck.store import review as r
    for table in r.TABLES:
        table.create(conn, checkfirst=True)
    for ddl in r.INDEXES:
        conn.exec_driver_sql(ddl)


def m011_live(conn: Connection) -> None:
    """evt/turn.cont (protocol revision 4): turns.cont ties the pieces of one detected turn together."""
    if "cont" not in {c["name"] for c in inspect(conn).get_columns("turns")}:
        conn.execute(text("ALTER TABLE turns ADD COLUMN cont BOOLEAN"))


def m012_remote(conn: Connection) -> None:
    """evt/turn.remote (protocol revision 5): turns.remote keeps the puck's flag with the turn
    (true: a voice through a laptop loudspeaker, the call; false: in the room; NULL: not known, as
    every turn stored before this migration and every turn of an older puck)."""
    if "remote" not in {c["name"] for c in inspect(conn).get_columns("turns")}:
        conn.execute(text("ALTER TABLE turns ADD COLUMN remote BOOLEAN"))


def m013_sessions_device(conn: Connection) -> None:
    """A puck's running session is looked up for every batch of its events (store/events.py): index
    sessions by device and phase, so the lookup does not scan every session ever held (1,000 pucks)."""
    conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_sessions_device_phase ON sessions (device, phase)")


# numbered by name (m010_review -> 10): numbers may leave gaps, the order is what counts
MIGRATIONS: list[Callable[[Connection], None]] = [
    m001_initial, m002_users, m003_retention, m010_review, m011_live, m012_remote, m013_sessions_device]


def number_of(fn: Callable[[Connection], None]) -> int:
    """The migration's number, from its name (m003_retention -> 3)."""
    return int(fn.__name__[1:4])


def current_version(engine: Engine) -> int:
    if not inspect(engine).has_table("schema_version"):
        return 0
    with engine.connect() as conn:
        rows = conn.execute(select(t.schema_version.c.version)).scalars().all()
    return max(rows) if rows else 0


def migrate(engine: Engine) -> int:
    """Bring the database to the newest version; returns the version reached."""
    t.schema_version.create(engine, checkfirst=True)
    have = current_version(engine)
    numbers = [number_of(fn) for fn in MIGRATIONS]
    if numbers != sorted(set(numbers)):
        raise RuntimeError("migrations out of order or numbered twice: %s" % numbers)
    for number, fn in zip(numbers, MIGRATIONS):
        if number <= have:
            continue
        log.info("store: migration %03d %s", number, fn.__name__)
        with engine.begin() as conn:
            fn(conn)
            conn.execute(t.schema_version.insert().values(version=number, applied_ms=int(time.time() * 1000)))
    return numbers[-1]
