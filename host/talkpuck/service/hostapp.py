"""app — HostApp: the whole host in one object (store, MQTT ingest, commands, hand queue, web server).

Used by `talkpuck serve`, `talkpuck demo` and the end-to-end tests:

    host = HostApp("mqtt://127.0.0.1:1883", data_dir="var"); host.start()
    sid = host.start_session("puck-a1", 180, warn_s=60, purpose="Team check-in")
    host.wait_idle(); print(host.stats()); host.stop()
"""
import logging
import time

from talkpuck.analytics import session_summary
from talkpuck.analytics import stats as compute_stats
from talkpuck.api import create_app
from talkpuck.api.server import WebServer
from talkpuck.auth import AuthConfig
from talkpuck.commands import Commander, SessionControl
from talkpuck.commands.sender import RetainedCommands
from talkpuck.commands.minbreak import push_min_break
from talkpuck.hands import HandQueue
from talkpuck.ingest import SUBSCRIPTIONS, Ingest
from talkpuck.live import LiveHub
from talkpuck.mqtt.link import MqttLink
from talkpuck.protocol.topics import ROOT
from talkpuck.service.settings import Settings
from talkpuck.store import Store

log = logging.getLogger(__name__)
HOST_STATUS = ROOT + "/host/status"


class HostApp:
    def __init__(self, broker_url, db_url=None, data_dir="var", http_host="127.0.0.1", http_port=0,
                 client_id=None, broker_ca=None, web_tls=None, web_names=()):
        self.settings = Settings(broker_url, db_url, data_dir, http_host, http_port, client_id, broker_ca=broker_ca,
                                 web_tls=web_tls)
        self.web_names = tuple(web_names)     # extra Host names the web answers to (DNS names of this host)
        self.store = None
        self.link = None
        self.web = None
        self.http_url = None

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self):
        s = self.settings
        self.store = Store(s.db_url, s.data_dir)
        self.commander = Commander(self.store, self._publish)
        self.hands = HandQueue(self.store, self.commander)
        self.sessions = SessionControl(self.store, self.commander)
        self.live_hub = LiveHub(self.store, self.hands)
        self.ingest = Ingest(self.store, on_online=self._on_puck_online, on_response=self.commander.on_response,
                             on_stored=self.live_hub.notify)
        self.retained_commands = RetainedCommands(lambda t, p: self.link.publish(t, p, qos=1, retain=True))
        self.link = MqttLink(s.broker_url, s.client_id, SUBSCRIPTIONS, on_message=self._on_message,
                             on_up=self._on_link_up, clean_session=False, will=(HOST_STATUS, b"offline"),
                             ca=s.broker_ca)
        try:
            self.link.start()
            auth = AuthConfig(allowed_hosts=self.web_names, https=bool(s.web_tls), listen_host=s.http_host)
            app = create_app(s, self.store, self.commander, self.hands, self.sessions, auth=auth,
                             live_hub=self.live_hub)
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

    def stop(self):
        if self.web is not None:
            self.web.stop()
            self.web = None
        if self.link is not None:
            self.link.stop(last=(HOST_STATUS, b"offline"))
            self.link = None
        if self.store is not None:
            self.store.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _on_message(self, topic, payload, retained):
        # commands (the host's own, and retained ones anybody left: cleared and counted) never reach ingest
        if not self.retained_commands.handle(topic, payload, retained):
            self.ingest.handle(topic, payload, retained)

    def _publish(self, topic, payload):
        self.link.publish(topic, payload, qos=1, retain=False)

    def _on_link_up(self):
        self.link.publish(HOST_STATUS, b"online", qos=1, retain=True)

    def _on_puck_online(self, device):
        try:
            self.commander.send_time(device)
        except Exception:
            log.exception("host: cannot send cmd/time to %s", device)
        try:
            # the room's minimum break is the host's setting: every puck of the room gets it when it comes online
            push_min_break(self.store, self.commander, device)
        except Exception:
            log.exception("host: cannot send the minimum break to %s", device)

    # -- commands -------------------------------------------------------------------------------------
    def send_command(self, device_id, verb, args=None, ttl_s=30):
        return self.commander.send(device_id, verb, args, ttl_s)

    def start_session(self, device_id, limit_s, warn_s=None, purpose=None):
        return self.sessions.start(device_id, limit_s, warn_s, purpose)

    def extend_session(self, device_id, add_s):
        return self.sessions.extend(device_id, add_s)

    def end_session(self, device_id):
        return self.sessions.end(device_id)

    def wait_response(self, cmd_id, timeout_s=5.0):
        return self.commander.wait_response(cmd_id, timeout_s)

    # -- hands ----------------------------------------------------------------------------------------
    def acknowledge_hand(self, device_id, boot, hand):
        self.hands.acknowledge(device=device_id, boot=boot, hand=hand)

    def lower_hand(self, device_id, boot, hand):
        self.hands.lower(device=device_id, boot=boot, hand=hand)

    def add_remote_hand(self, room, name):
        return self.hands.add_remote(room, name)

    def hand_queue(self, room=None):
        return self.hands.list(room)

    # -- figures --------------------------------------------------------------------------------------
    def stats(self):
        return compute_stats(self.store)

    def session(self, session_id):
        return session_summary(self.store, session_id)

    def wait_idle(self, quiet_s=1.0, timeout_s=30):
        """True once no MQTT message arrived for quiet_s; False if that did not happen within timeout_s."""
        deadline = time.monotonic() + timeout_s
        while True:
            idle = self.ingest.idle_for()
            if idle >= quiet_s:
                return True
            if time.monotonic() + (quiet_s - idle) > deadline:
                return False
            time.sleep(min(quiet_s - idle, 0.1) + 0.01)
