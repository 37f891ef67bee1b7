"""base — the Store's connection, write lock, counters and migrations; the other parts mix into it."""
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError

from talkpuck.store import tables as t
from talkpuck.store.engine import default_url, make_engine
from talkpuck.store.migrations import migrate


def now_ms() -> int:
    return int(time.time() * 1000)


class StoreParts:
    """What the mixins use of StoreBase and of each other, declared for the type checker only: every
    mixin subclasses this, and Store puts them all together (nothing here exists at run time)."""
    if TYPE_CHECKING:
        engine: Any                    # sqlalchemy.Engine (its stubs type rows too narrowly for our use)
        lock: threading.RLock
        default_min_break_s: int
        _known_boots: set[tuple[str, str]]

        def incr(self, name: str, n: int = 1, conn: Connection | None = None) -> None: ...
        def _incr(self, conn: Connection, name: str, n: int) -> None: ...
        def _ensure_device(self, c: Connection, device: str, now: int) -> None: ...
        def room_of(self, device: str, conn: Connection | None = None) -> str: ...
        def min_break_s(self, room: str, conn: Connection) -> int: ...
        def _current_session(self, c: Connection, device: str) -> str | None: ...
        def _current_sessions(self, c: Connection, devices: Iterable[str]) -> dict[str, str | None]: ...
        def _ensure_boot(self, c: Connection, device: str, boot: str, now: int) -> None: ...


class StoreBase(StoreParts):
    """Owns the engine. Writes are serialised by one lock (SQLite allows one writer anyway)."""

    default_min_break_s = 600          # flag a session that starts sooner than this after the last

    def __init__(self, url: str | None = None, data_dir: str = "var") -> None:
        self.url = url or default_url(data_dir)
        self.engine = make_engine(self.url)
        self.lock = threading.RLock()
        self._known_boots: set[tuple[str, str]] = set()      # (device, boot) rows known to exist
        self.version = migrate(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    # -- counters: duplicates_dropped, rejected:<reason>, http:<code> ---------------------------
    def incr(self, name: str, n: int = 1, conn: Connection | None = None) -> None:
        if conn is None:
            with self.lock, self.engine.begin() as c:
                return self._incr(c, name, n)
        return self._incr(conn, name, n)

    def _incr(self, conn: Connection, name: str, n: int) -> None:
        res = conn.execute(update(t.counters).where(t.counters.c.name == name)
                           .values(value=t.counters.c.value + n))
        if res.rowcount == 0:
            try:
                with conn.begin_nested():
                    conn.execute(t.counters.insert().values(name=name, value=n))
            except IntegrityError:   # another worker inserted it first
                conn.execute(update(t.counters).where(t.counters.c.name == name)
                             .values(value=t.counters.c.value + n))

    def counters(self, prefix: str = "") -> dict[str, int]:
        with self.engine.connect() as c:
            rows = c.execute(select(t.counters.c.name, t.counters.c.value)).all()
        return {n[len(prefix):]: int(v) for n, v in rows if n.startswith(prefix)}

    def counter(self, name: str) -> int:
        with self.engine.connect() as c:
            v = c.execute(select(t.counters.c.value).where(t.counters.c.name == name)).scalar()
        return int(v or 0)
