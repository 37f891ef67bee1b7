"""ingest — validate -> dedup -> store for every message pucks publish; counts what it rejects.

Knows MQTT topics and payloads, not SQL: it hands checked values to the Store. Bad input never
stops the loop: a MessageRejected is logged once per (device, reason), counted as
`rejected:<reason>`, and the next message is handled as usual.

Acknowledged only when stored: a store that cannot write (disk full, read-only file, database
gone: `_is_outage`) makes `handle` raise StoreUnavailable, and the MQTT link then leaves the message
unacknowledged and hands it again until it is stored (talkpuck.mqtt.link.MqttLink). Every other
failure is the message's or a bug's: counted and acknowledged, so one bad message cannot block the rest.
"""
import logging
import threading
import time

from talkpuck.errors import StoreUnavailable
from talkpuck.ingest.clock import ticks_diff, to_wall
from talkpuck.protocol import parse_message
from talkpuck.protocol.errors import MessageRejected
from talkpuck.protocol.topics import RESERVED, ROOT

log = logging.getLogger(__name__)

SUBSCRIPTIONS = [ROOT + "/#"]


def _is_outage(e):
    """A store that cannot write now, whatever the message: disk full, read-only, connection lost."""
    if isinstance(e, StoreUnavailable):
        return True
    from sqlalchemy.exc import InterfaceError, OperationalError  # the store's engine raises these

    return isinstance(e, (OperationalError, InterfaceError))


def _now_ms():
    return int(time.time() * 1000)


class Ingest:
    """`handle(topic, payload, retained)` is called for every MQTT message (on the link's thread)."""

    def __init__(self, store, on_online=None, on_response=None, clock=_now_ms, on_stored=None):
        self.store = store
        self.on_stored = on_stored            # device -> None, after a message was stored (the live hub)
        self.on_online = on_online            # device -> None (the host sends cmd/time)
        self.on_response = on_response        # payload -> None (command waiters)
        self.clock = clock
        self.last_message = time.monotonic()
        self.received = 0
        self.not_stored = 0                   # handle() calls the store could not write (retried)
        self._anchors = {}
        self._logged = set()
        self._lock = threading.Lock()         # one message at a time, whatever thread calls

    def handle(self, topic, raw, retained=False):
        self.last_message = time.monotonic()
        parts = topic.split("/", 4) if isinstance(topic, str) else ()
        if len(parts) >= 4 and (parts[3] == "cmd" or parts[2] in RESERVED):
            return None                        # our own commands and host status echo back
        with self._lock:
            self.received += 1
            try:
                msg = parse_message(topic, raw, retained)
                out = getattr(self, "_on_" + msg.kind)(msg, self.clock())
                if self.on_stored is not None:
                    self.on_stored(msg.device)
                return out
            except MessageRejected as e:
                self._reject(e.reason, topic, str(e))
            except Exception as e:
                if _is_outage(e):              # not stored: not acknowledged either (the link retries)
                    self.not_stored += 1
                    if self.not_stored == 1 or self.not_stored % 1000 == 0:
                        log.error("ingest: the store cannot write (%s: %s); messages stay unacknowledged "
                                  "until it can (%d so far)", type(e).__name__, e, self.not_stored)
                    raise StoreUnavailable("store cannot write: %s" % e) from e
                # a bug: count it, keep going
                log.exception("ingest: failed on %s", topic)
                self._reject("internal", topic, "%s: %s" % (type(e).__name__, e))
            return None

    def _reject(self, reason, topic, text):
        try:
            self.store.incr("rejected:" + reason)
        except Exception:
            log.exception("ingest: cannot count a rejection")
        parts = topic.split("/") if isinstance(topic, str) else [repr(topic)]
        key = (parts[2] if len(parts) > 2 else topic, reason)
        if key not in self._logged:
            self._logged.add(key)
            log.warning("ingest: rejected (%s) %s [further ones like it are only counted]", reason, text)

    # -- per kind -------------------------------------------------------------------------------------
    def _on_status(self, msg, now):
        online = msg.payload == "online"
        self.store.record_status(msg.device, online, now)
        if online and self.on_online:
            self.on_online(msg.device)

    def _on_info(self, msg, now):
        p = msg.payload
        key = (msg.device, p["boot"])
        anchor = (now, p["ms"])
        if msg.retained and self.anchor(*key) is not None:
            anchor = None                      # an old snapshot: its receipt time says nothing
        self.store.record_info(msg.device, p, now, anchor)
        if anchor is not None:
            self._anchors[key] = anchor

    def _on_state(self, msg, now):
        self.store.record_state(msg.device, msg.payload, now)

    def _on_tele(self, msg, now):
        self.store.record_tele(msg.device, msg.payload, now)

    def _on_resp(self, msg, now):
        p = msg.payload
        if not self.store.record_response(p["id"], p["ok"], p.get("error"), now):
            log.info("ingest: response to unknown command %s from %s", p["id"], msg.device)
        if self.on_response:
            self.on_response(msg.device, p)

    def _on_evt(self, msg, now):
        p = msg.payload
        anchor = self.anchor(msg.device, p["boot"])
        wall = to_wall(anchor, p["ms"]) if anchor else now
        times = {}
        for field in ("start_ms", "end_ms", "from_ms", "to_ms"):
            if field in p:
                times[field] = to_wall(anchor, p[field]) if anchor else wall + ticks_diff(p[field], p["ms"])
        return self.store.add_event(msg.device, p["boot"], p["seq"], msg.sub, p["ms"], wall, now, p, times)

    def anchor(self, device, boot):
        a = self._anchors.get((device, boot))
        if a is None:
            a = self.store.anchor(device, boot)
            if a is not None:
                self._anchors[(device, boot)] = a
        return a

    def idle_for(self):
        return time.monotonic() - self.last_message
