"""app — HostApp: the whole host in one object (store, MQTT ingest, commands, hand queue, web server).

Used by `talkpuck serve`, `talkpuck demo` and the end-to-end tests:

    host = HostApp("mqtt://127.0.0.1:1883", data_dir="var"); host.start()
    sid = host.start_session("puck-a1", 180, warn_s=60, purpose="Team check-in")
    host.wait_idle(); print(host.stats()); host.stop()
"""
import json
import logging
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any

from talkpuck.analytics import session_summary
from talkpuck.analytics import stats as compute_stats
from talkpuck.api import create_app
from talkpuck.api.server import WebServer
from talkpuck.auth import AuthConfig
from talkpuck.commands import Commander, SessionControl
from talkpuck.commands.sender import RetainedCommands
from talkpuck.ha.discovery import HaDiscovery
from talkpuck.commands.minbreak import RoomBreaks
from talkpuck.hands import HandQueue
from talkpuck.errors import StoreUnavailable
from talkpuck.ingest import SUBSCRIPTIONS, Ingest
from talkpuck.ingest.ingest import DECIDER_SUBSCRIPTIONS, shared_events as shared_events_filter
from talkpuck.live import LiveHub
from talkpuck.mqtt.link import Delivered, MqttLink, Payload
from talkpuck.protocol.topics import ROOT
from talkpuck.service.maintenance import Maintenance
from talkpuck.service.settings import RETENTION_DAYS_DEFAULT, Settings
from talkpuck.store import Store

log = logging.getLogger(__name__)
HOST_STATUS = ROOT + "/host/status"


class HostApp:
    # ingest, the live hub's builder and the web's event loop are threads of one interpreter: a short
    # switch interval lets the one that waits get the interpreter lock within 1 ms instead of 5 ms,
    # at each of the many times the builder gives it up (each SQL query): the live stream's tail latency
    switch_interval_s = 0.001

    def __init__(self, broker_url: str, db_url: str | None = None, data_dir: str = "var",
                 http_host: str = "127.0.0.1", http_port: int = 0, client_id: str | None = None,
                 broker_ca: str | None = None, web_tls: tuple[str, str] | None = None,
                 web_names: Iterable[str] = (), retention_days: int = RETENTION_DAYS_DEFAULT,
                 shared_events: bool = False, ha_discovery: bool = False, ha_prefix: str | None = None,
                 ha_talking: bool = False) -> None:
        self.settings = Settings(broker_url, db_url, data_dir, http_host, http_port, client_id, broker_ca=broker_ca,
                                 web_tls=web_tls, retention_days=retention_days, ha_discovery=ha_discovery,
                                 ha_prefix=ha_prefix, ha_talking=ha_talking)
        # True: events come through the shared subscription that `talkpuck ingest-worker`s join too
        # (the broker spreads them); everything else still comes here alone (talkpuck/mqtt/README.md)
        self.shared_events = shared_events
        self.ha: HaDiscovery | None = None    # HaDiscovery when Home Assistant discovery is on (talkpuck.ha)
        self.web_names = tuple(web_names)     # extra Host names the web answers to (DNS names of this host)
        self.store: Store | None = None
        self.maintenance: Maintenance | None = None
        self.link: MqttLink | None = None
        self.web: WebServer | None = None
        self.http_url: str | None = None

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self) -> "HostApp":
        s = self.settings
        sys.setswitchinterval(self.switch_interval_s)
        self.store = Store(s.db_url, s.data_dir)
        self.maintenance = Maintenance(self.store, s.retention_days).start()   # retention (docs/privacy.md)
        self.commander = Commander(self.store, self._publish)
        self.hands = HandQueue(self.store, self.commander)
        self.sessions = SessionControl(self.store, self.commander)
        self.live_hub = LiveHub(self.store, self.hands)
        self.room_breaks = RoomBreaks(self.store, self.commander)
        self.ingest = Ingest(self.store, on_online=self._on_puck_online, on_response=self.commander.on_response,
                             on_stored=self.live_hub.notify, on_info=self._on_puck_info)
        self.retained_commands = RetainedCommands(lambda t, p: self._publish(t, p, retain=True))
        subs = DECIDER_SUBSCRIPTIONS + [shared_events_filter()] if self.shared_events else list(SUBSCRIPTIONS)
        if s.ha_discovery:
            self.ha = HaDiscovery(lambda t, p, r: self._publish(t, p, retain=r), self.commander.send,
                                  self._known_devices, s.ha_prefix, s.ha_talking)
            subs += [t for t in self.ha.subscriptions if t not in subs]
        self.link = MqttLink(s.broker_url, s.client_id, subs, on_batch=self._on_batch,
                             on_up=self._on_link_up, clean_session=False, will=(HOST_STATUS, b"offline"),
                             ca=s.broker_ca)
        try:
            self.link.start()
            auth = AuthConfig(allowed_hosts=self.web_names, https=bool(s.web_tls), listen_host=s.http_host)
            app = create_app(s, self.store, self.commander, self.hands, self.sessions, auth=auth,
                             live_hub=self.live_hub)
            app.state.maintenance = self.maintenance
            cert, key = s.web_tls or (None, None)
            self.web = WebServer(app, s.http_host, s.http_port, certfile=cert, keyfile=key)
            self.web.start()
        except Exception:
            self.stop()
            raise
        self.http_url = self.web.url
        log.info("host: live view at %s (broker %s, store %s)", self.http_url, self.link.url,
                 self.store.dialect)
        return self

    def stop(self) -> None:
        if self.maintenance is not None:
            self.maintenance.stop()
            self.maintenance = None
        if self.web is not None:
            self.web.stop()
            self.web = None
        if self.link is not None:
            self.link.stop(last=(HOST_STATUS, b"offline"))
            self.link = None
        if self.store is not None:
            self.store.close()

    def __enter__(self) -> "HostApp":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _on_message(self, topic: str, payload: bytes | bytearray, retained: bool) -> None:
        # commands (the host's own, and retained ones anybody left: cleared and counted) never reach ingest
        if self.ha is not None and self.ha.handle(topic, payload, retained):
            return                             # Home Assistant's button presses and birth: not puck messages
        if not self.retained_commands.handle(topic, payload, retained):
            self.ingest.handle(topic, payload, retained)
            if self.ha is not None:
                self._ha_seen(self.ha, topic, payload)

    @staticmethod
    def _ha_seen(ha: HaDiscovery, topic: str, payload: bytes | bytearray | str) -> None:
        parts = topic.split("/")
        if len(parts) < 4:
            return
        if parts[3] == "info":                 # (re)announced with what the puck says of itself
            try:
                info = json.loads(payload)
            except ValueError:
                return
            if isinstance(info, dict):
                ha.seen(parts[2], info, again=True)
        elif parts[3] == "status":
            ha.seen(parts[2])

    def _known_devices(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for d in self.store.devices() if self.store is not None else ():
            yield d["id"], {"board": d.get("board"), "fw": d.get("fw"), "room": d.get("room_reported")}

    def _on_batch(self, items: list[Delivered]) -> None:
        # as _on_message, for a batch: events are stored in one transaction (ingest.handle_batch)
        keep, where = [], []
        ha, commands = self.ha, self.retained_commands
        for i, item in enumerate(items):
            if ha is not None and ha.handle(*item):
                continue                       # Home Assistant's button presses and birth: not puck messages
            if not commands.handle(*item):
                keep.append(item)
                where.append(i)
        try:
            self.ingest.handle_batch(keep)
        except StoreUnavailable as e:
            done = e.done
            e.done = where[done] if done < len(where) else len(items)
            raise
        if ha is not None:
            for topic, payload, _retained in keep:
                self._ha_seen(ha, topic, payload)

    def _store(self) -> Store:
        if self.store is None:
            raise RuntimeError("host: not started (no store)")
        return self.store

    def _publish(self, topic: str, payload: Payload, retain: bool = False) -> None:
        if self.link is None:
            raise OSError("host: not started (no MQTT link)")   # as a link that is down: the command waits
        self.link.publish(topic, payload, qos=1, retain=retain)

    def _on_link_up(self) -> None:
        self._publish(HOST_STATUS, b"online", retain=True)
        if self.ha is not None:
            try:
                self.ha.announce_all()
            except Exception:
                log.exception("host: cannot publish Home Assistant discovery")

    def _on_puck_online(self, device: str) -> None:
        try:
            self.commander.send_time(device)
        except Exception:
            log.exception("host: cannot send cmd/time to %s", device)
        try:
            # the room's minimum break is the host's setting: every puck of the room gets it when it comes online
            self.room_breaks.online(device)
        except Exception:
            log.exception("host: cannot send the minimum break to %s", device)

    def _on_puck_info(self, device: str) -> None:
        try:
            self.room_breaks.room_may_have_changed(device)    # a new puck's first info names its room
        except Exception:
            log.exception("host: cannot send the minimum break to %s", device)

    # -- commands -------------------------------------------------------------------------------------
    def send_command(self, device_id: str, verb: str, args: dict[str, Any] | None = None, ttl_s: int | None = 30) -> str:
        return self.commander.send(device_id, verb, args, ttl_s)

    def start_session(self, device_id: str, limit_s: int, warn_s: int | None = None, purpose: str | None = None) -> str:
        return self.sessions.start(device_id, limit_s, warn_s, purpose)

    def extend_session(self, device_id: str, add_s: int) -> str:
        return self.sessions.extend(device_id, add_s)

    def end_session(self, device_id: str) -> str:
        return self.sessions.end(device_id)

    def wait_response(self, cmd_id: str, timeout_s: float = 5.0) -> dict[str, Any] | None:
        return self.commander.wait_response(cmd_id, timeout_s)

    # -- hands ----------------------------------------------------------------------------------------
    def acknowledge_hand(self, device_id: str, boot: str, hand: int) -> None:
        self.hands.acknowledge(device=device_id, boot=boot, hand=hand)

    def lower_hand(self, device_id: str, boot: str, hand: int) -> None:
        self.hands.lower(device=device_id, boot=boot, hand=hand)

    def add_remote_hand(self, room: str, name: str | None) -> int:
        return self.hands.add_remote(room, name)

    def hand_queue(self, room: str | None = None) -> list[dict[str, Any]]:
        return self.hands.list(room)

    # -- figures --------------------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        return compute_stats(self._store())

    def session(self, session_id: str) -> dict[str, Any] | None:
        return session_summary(self._store(), session_id)

    def wait_idle(self, quiet_s: float = 1.0, timeout_s: float = 30) -> bool:
        """True once no MQTT message arrived for quiet_s; False if that did not happen within timeout_s."""
        deadline = time.monotonic() + timeout_s
        while True:
            # a message waiting in the link (a batch being stored, or queued behind it) is not idle
            idle = 0.0 if self.link is not None and self.link.busy() else self.ingest.idle_for()
            if idle >= quiet_s:
                return True
            if time.monotonic() + (quiet_s - idle) > deadline:
                return False
            time.sleep(min(quiet_s - idle, 0.1) + 0.01)
