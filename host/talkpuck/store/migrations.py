"""migrations — numbered schema migrations, applied in order and recorded in schema_version.

Add a function and append it to MIGRATIONS; never edit one that has shipped. Each runs in its own
transaction, so a failed migration leaves the previous version intact (PostgreSQL; SQLite DDL is
transactional too through SQLAlchemy's pysqlite handling for CREATE TABLE).
"""
import logging
import time

from sqlalchemy import inspect, select, text

from talkpuck.store import tables as t

log = logging.getLogger(__name__)


def m001_initial(conn):
    """The walking skeleton's tables."""
    for table in (t.devices, t.boots, t.events, t.sessions, t.turns, t.hands, t.commands, t.rooms,
                  t.counters):
        table.create(conn, checkfirst=True)


def m002_users(conn):
    """Web logins: users and their rooms, login sessions, one-time login links (store/users.py)."""
    from talkpuck.store import users as u
    for table in u.TABLES:
        table.create(conn, checkfirst=True)


def m011_live(conn):
    """evt/turn.cont (protocol revision 2): turns.cont ties the pieces of one detected turn together."""
    if "cont" not in {c["name"] for c in inspect(conn).get_columns("turns")}:
        conn.execute(text("ALTER TABLE turns ADD COLUMN cont BOOLEAN"))


# m011_live goes after the review job's m010_review when both land (numbers are positions in this list)
MIGRATIONS = [m001_initial, m002_users, m011_live]


def current_version(engine):
    if not inspect(engine).has_table("schema_version"):
        return 0
    with engine.connect() as conn:
        rows = conn.execute(select(t.schema_version.c.version)).scalars().all()
    return max(rows) if rows else 0


def migrate(engine):
    """Bring the database to the newest version; returns the version reached."""
    t.schema_version.create(engine, checkfirst=True)
    have = current_version(engine)
    for number, fn in enumerate(MIGRATIONS, start=1):
        if number <= have:
            continue
        log.info("store: migration %03d %s", number, fn.__name__)
        with engine.begin() as conn:
            fn(conn)
            conn.execute(t.schema_version.insert().values(version=number, applied_ms=int(time.time() * 1000)))
    return len(MIGRATIONS)
