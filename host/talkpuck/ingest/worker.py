"""worker — an ingest worker: stores the events the broker hands it through the shared subscription.

`talkpuck serve --shared-events` is worker 0 and the one place that decides: it alone subscribes
to the 4-level topics (status, info, state, tele, resp: retained ones included, which a shared
subscription never gets) and sends commands, runs session control and the hand queue. Workers
1..N (`talkpuck ingest-worker --worker N`) join the same shared group for `evt/#` and only store
events: writes are insert-or-ignore keyed by (device, boot, seq), so whichever worker stores an
event, and however often the broker hands it, it is stored once. Each worker has its own client id
(settings.host_client_id) and a persistent session: killed mid-stream, the broker keeps what it
had sent it unacknowledged and sends it again when the worker comes back with the same id.
"""
import logging

from talkpuck.errors import ConfigError
from talkpuck.ingest.ingest import SHARE_GROUP, Ingest, shared_events
from talkpuck.mqtt.link import MqttLink
from talkpuck.service.settings import host_client_id
from talkpuck.store import Store
from talkpuck.store.engine import default_url

log = logging.getLogger(__name__)


class IngestWorker:
    def __init__(self, broker_url: str, worker: int, db_url: str | None = None, data_dir: str = "var",
                 broker_ca: str | None = None, group: str = SHARE_GROUP) -> None:
        if not isinstance(worker, int) or worker < 1:
            raise ConfigError("--worker must be 1 or more (worker 0 is `talkpuck serve --shared-events`), got %r" % (worker,))
        self.broker_url = broker_url
        self.db_url = db_url or default_url(data_dir)
        self.worker = worker
        self.client_id = host_client_id(self.db_url, worker)
        self.broker_ca = broker_ca
        self.group = group
        self.store: Store | None = None
        self.ingest: Ingest | None = None
        self.link: MqttLink | None = None

    def start(self) -> "IngestWorker":
        self.store = Store(self.db_url)
        self.ingest = Ingest(self.store)   # no commands from here: the decider (serve) sends them
        self.link = MqttLink(self.broker_url, self.client_id, [shared_events(self.group)],
                             on_batch=self.ingest.handle_batch, clean_session=False, ca=self.broker_ca)
        try:
            self.link.start()
        except Exception:
            self.stop()
            raise
        log.info("ingest worker %d: %s as %s, store %s", self.worker, self.link.url, self.client_id,
                 self.store.dialect)
        return self

    def stop(self) -> None:
        if self.link is not None:
            self.link.stop()
            self.link = None
        if self.store is not None:
            self.store.close()

    def __enter__(self) -> "IngestWorker":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
