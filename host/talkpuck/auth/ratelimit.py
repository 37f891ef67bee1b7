"""ratelimit — failed logins per key (account, client address) in a sliding window, bounded in memory."""
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable


class FailureLimiter:
    max_keys = 10000                   # oldest keys are forgotten beyond this (memory stays bounded)

    def __init__(self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self._fails: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float] | None:
        q = self._fails.get(key)
        if q is None:
            return None
        while q and q[0] <= now - self.window_s:
            q.popleft()
        if not q:
            del self._fails[key]
            return None
        return q

    def blocked(self, key: str) -> bool:
        with self._lock:
            q = self._recent(key, self.clock())
            return q is not None and len(q) >= self.limit

    def fail(self, key: str) -> None:
        with self._lock:
            now = self.clock()
            q = self._recent(key, now)
            if q is None:
                q = self._fails[key] = deque(maxlen=self.limit)
            q.append(now)
            self._fails.move_to_end(key)
            while len(self._fails) > self.max_keys:
                self._fails.popitem(last=False)

    def reset(self, key: str) -> None:
        with self._lock:
            self._fails.pop(key, None)
