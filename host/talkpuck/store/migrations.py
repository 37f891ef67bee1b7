"""migrations — numbered schema migrations, applied in order and recorded in schema_version.

Add a function and append it to MIGRATIONS; never edit one that has shipped. Each runs in its own
transaction, so a failed migration leaves the previous version intact (PostgreSQL; SQLite DDL is
transactional too through SQLAlchemy's pysqlite handling for CREATE TABLE).
"""
import logging
import time

from sqlalchemy import inspect, select

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


def m010_review(conn):
    """Reviewing sessions (issue 14): the practitioner's voice per session, private reflection notes,
    series of sessions (store/review.py), and the indexes the sessions list and review pages need."""
    from talkpuck.store import review as r
    for table in r.TABLES:
        table.create(conn, checkfirst=True)
    for ddl in r.INDEXES:
        conn.exec_driver_sql(ddl)


# numbered by name (m010_review -> 10): other branches' migrations fill the gaps, in order
MIGRATIONS = [m001_initial, m002_users, m010_review]


def number_of(fn):
    """The migration's number, from its name (m003_retention -> 3)."""
    return int(fn.__name__[1:4])


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
