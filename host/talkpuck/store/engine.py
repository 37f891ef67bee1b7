"""engine — builds the SQLAlchemy engine from a URL: SQLite file by default, PostgreSQL by URL."""
import os

from typing import Any

from sqlalchemy import Engine, create_engine, event

from talkpuck.errors import ConfigError


def default_url(data_dir: str) -> str:
    os.makedirs(data_dir, exist_ok=True)
    return "sqlite:///" + os.path.abspath(os.path.join(data_dir, "talkpuck.db"))


def make_engine(url: str) -> Engine:
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]   # psycopg 3 driver
    try:
        if url.startswith("sqlite"):
            eng = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

            @event.listens_for(eng, "connect")
            def _pragmas(dbapi_conn: Any, _record: Any) -> None:   # a DB-API connection
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.close()

            return eng
        return create_engine(url, pool_pre_ping=True)
    except Exception as e:  # bad URL, missing driver: the user's to fix
        raise ConfigError("database URL %r: %s" % (url, e))
