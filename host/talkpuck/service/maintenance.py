"""maintenance — the host's retention loop: deletes what is older than `retention_days`, at start and hourly.

Like frigate's record cleanup: a thread owned by the HostApp, started in start(), stopped in stop().
What is deleted, table by table, is store.retention's (`Store.prune`); this only decides when. Each
pass logs how many rows went per table (numbers only, never content) and counts them in the store
(`retention_deleted:<table>`), so the dashboard's counters show the loop at work.
"""
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from talkpuck.store import Store

log = logging.getLogger(__name__)


class Maintenance:
    every_s = 3600.0        # one pass an hour: a session is gone at most an hour after its time is up

    def __init__(self, store: "Store", retention_days: int,
                 clock: Callable[[], int] = lambda: int(time.time() * 1000)) -> None:
        self.store = store
        self.retention_days = retention_days
        self.clock = clock
        self.passes = 0
        self.last: dict[str, int] | None = None             # rows deleted per table by the last pass
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> dict[str, int]:
        deleted = self.store.prune(self.retention_days, self.clock())
        for table, n in deleted.items():
            self.store.incr("retention_deleted:" + table, n)
        if deleted:
            log.info("retention: deleted rows older than %d days: %s", self.retention_days,
                     ", ".join("%s %d" % kv for kv in sorted(deleted.items())))
        self.passes += 1
        self.last = deleted
        return deleted

    def start(self) -> "Maintenance":
        self._thread = threading.Thread(target=self._run, name="talkpuck-retention", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while True:
            try:
                self.run_once()
            except Exception:   # a failed pass (database busy, disk full) is retried at the next one
                log.exception("retention: pass failed")
            if self._stop.wait(self.every_s):
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
