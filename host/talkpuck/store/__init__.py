"""store — everything the host keeps, in SQL (SQLite by default, PostgreSQL by URL). Knows no MQTT."""
from talkpuck.store.base import StoreBase, now_ms
from talkpuck.store.commands import CommandsMixin
from talkpuck.store.devices import NO_ROOM, DevicesMixin
from talkpuck.store.events import EventsMixin
from talkpuck.store.hands import HandsMixin
from talkpuck.store.live import LiveMixin
from talkpuck.store.retention import RetentionMixin
from talkpuck.store.review import ReviewMixin
from talkpuck.store.sessions import SessionsMixin
from talkpuck.store.users import UsersMixin


class Store(ReviewMixin, UsersMixin, DevicesMixin, EventsMixin, SessionsMixin, HandsMixin, CommandsMixin, RetentionMixin,
            LiveMixin, StoreBase):
    """The host's store: `Store(url)` or `Store(data_dir=...)` for the SQLite default."""


__all__ = ["Store", "NO_ROOM", "now_ms"]
