"""ingest — validate -> dedup -> store for every message pucks publish; counts what it rejects.

Knows MQTT topics and payloads, not SQL: it hands checked values to the Store. Bad input never
stops the loop: a MessageRejected is counted as `rejected:<reason>`, logged once per (device,
reason) in a line of at most LOG_MAX characters, and the next message is handled as usual. The
(device, reason) pairs already logged are bounded: a topic's device segment that is not a valid
device id is logged under "(invalid)", and at most LOGGED_MAX pairs are remembered (the oldest
is forgotten first, counted in `log_keys_dropped`), so hostile topics cannot grow memory.

`info.prev_seq` (the previous boot's last seq, protocol §3.1) makes every seq up to it that the
host never got count as lost. A claim more than PREV_SEQ_SLACK beyond what the host stored of
that boot is refused (`rejected:prev_seq`) and the rest of `info` is kept: one message cannot
make a billion events "lost".

Acknowledged only when stored: a store that cannot write (disk full, read-only file, database
gone: `_is_outage`) makes `handle` raise StoreUnavailable, and the MQTT link then leaves the message
unacknowledged and hands it again until it is stored (talkpuck.mqtt.link.MqttLink). Every other
failure is the message's or a bug's: counted and acknowledged, so one bad message cannot block the rest.
"""
import collections
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from talkpuck.errors import StoreUnavailable
from talkpuck.ingest.clock import ticks_diff, to_wall
from talkpuck.protocol import parse_message
from talkpuck.protocol.errors import MessageRejected
from talkpuck.protocol.message import Message
from talkpuck.protocol.topics import RESERVED_USES, ROOT, valid_device_id

if TYPE_CHECKING:
    from talkpuck.store import Store

log = logging.getLogger(__name__)

LOG_MAX = 200          # characters of a rejection's log line
LOGGED_MAX = 1024      # (device, reason) pairs remembered as already logged
PREV_SEQ_SLACK = 10000  # events a puck may report lost beyond what the host stored of its last boot

_TIME_FIELDS = ("start_ms", "end_ms", "from_ms", "to_ms")   # puck-clock fields of events, mapped to wall ms

SUBSCRIPTIONS = [ROOT + "/#"]
SHARE_GROUP = "talkpuck"
# With shared events (talkpuck serve + `talkpuck ingest-worker`s, talkpuck/mqtt/README.md "Several
# workers"): every 4-level topic (status, info, state, tele, resp, host/status) and commands reach
# the one process that decides (serve) on a plain subscription, so it gets the retained info and
# state; events are spread over the workers by the broker's shared subscription.
DECIDER_SUBSCRIPTIONS = [ROOT + "/+/+", ROOT + "/+/cmd/#"]

Raw = bytes | bytearray | str | dict[str, Any]   # an MQTT payload as parse_message takes it
Item = tuple[str, Raw, bool]                      # (topic, payload, retained) as the link hands them
# (index in the batch, parsed message, Store.record_many item, original item)
GroupEntry = tuple[int, Message, tuple[Any, ...], Item]


def shared_events(group: str = SHARE_GROUP) -> str:
    """The shared subscription every ingest process joins ($share/<group>/<filter>, MQTT 5 and Mosquitto >= 1.6)."""
    return "$share/%s/%s/+/evt/#" % (group, ROOT)


def _is_event_topic(topic: object) -> bool:
    """True when the topic's fourth level is `evt` (talkpuck/v1/<device>/evt/...), as parse_message reads it."""
    if not isinstance(topic, str) or "/evt" not in topic:    # the split only for what may be an event
        return False
    parts = topic.split("/", 4)
    return len(parts) >= 4 and parts[3] == "evt"


def _is_outage(e: BaseException) -> bool:
    """A store that cannot write now, whatever the message: disk full, read-only, connection lost."""
    if isinstance(e, StoreUnavailable):
        return True
    from sqlalchemy.exc import InterfaceError, OperationalError  # the store's engine raises these

    return isinstance(e, (OperationalError, InterfaceError))


def _now_ms() -> int:
    return int(time.time() * 1000)


class Ingest:
    """`handle(topic, payload, retained)` is called for every MQTT message (on the link's thread)."""

    def __init__(self, store: "Store", on_online: Callable[[str], object] | None = None,
                 on_response: Callable[[str, dict[str, Any]], object] | None = None,
                 clock: Callable[[], int] = _now_ms, on_stored: Callable[[str], object] | None = None,
                 on_info: Callable[[str], object] | None = None) -> None:
        self.store = store
        self.on_stored = on_stored            # device -> None, after a message was stored (the live hub)
        self.on_online = on_online            # device -> None (the host sends cmd/time)
        self.on_info = on_info                # device -> None, after an info is stored (its room may be new)
        self.on_response = on_response        # payload -> None (command waiters)
        self.clock = clock
        self.last_message = time.monotonic()
        self.received = 0
        self.not_stored = 0                   # handle() calls the store could not write (retried)
        self._anchors: dict[tuple[str, str], tuple[int, int]] = {}
        self._logged: collections.OrderedDict[tuple[str, str], None] = collections.OrderedDict()   # (device, reason) -> None, oldest first
        self.log_keys_dropped = 0
        self._lock = threading.Lock()         # one message at a time, whatever thread calls

    def handle(self, topic: str, raw: Raw, retained: bool = False) -> Any:
        self.last_message = time.monotonic()
        parts = topic.split("/", 4) if isinstance(topic, str) else ()
        if len(parts) >= 4 and (parts[3] == "cmd" or (parts[2], parts[3]) in RESERVED_USES):
            return None                        # our own commands and host status echo back
        with self._lock:
            return self._handle_locked(topic, raw, retained)

    def handle_batch(self, items: Iterable[Item]) -> None:
        """Handle [(topic, payload, retained), ...] in order; events go to the store in one transaction
        per run of consecutive events, and so do status, info, state and tele: one transaction per run
        of them (Store.record_many), closed after a puck's `online` (on_online then sees the store as
        one by one handling leaves it) and before any other message (resp, a rejected one, an info
        naming a previous boot's last seq), which is handled on its own as before. Raises
        StoreUnavailable (with `.done`: how many leading items were stored) when the store cannot
        write: the link acks those and hands the rest again."""
        done = 0
        run: list[tuple[int, Message]] = []   # (index, parsed message) of consecutive events
        group: list[GroupEntry] = []  # (index, parsed message, store item, item) of consecutive status/info/state/tele
        with self._lock:
            self.last_message = time.monotonic()
            for i, (topic, raw, retained) in enumerate(items):
                if _is_event_topic(topic):
                    done = self._store_group(group, done)
                    group = []
                    self.received += 1
                    try:
                        run.append((i, parse_message(topic, raw, retained)))
                        continue
                    except MessageRejected as e:
                        self._reject(e.reason, topic, str(e))   # counted inside the next run's place
                        continue
                    except Exception as e:
                        if _is_outage(e):
                            raise self._outage(e, done)
                        self._reject("internal", topic, "%s: %s" % (type(e).__name__, e))
                        continue
                done = self._store_run(run, done)
                run = []
                msg = self._groupable(topic, raw, retained)
                item = None
                if msg is not None:
                    try:
                        item = self._group_item(msg, group)
                    except Exception:      # the store's anchor read failed: as one by one does, below
                        item = None
                if item is not None and msg is not None:   # an item is only made from a message
                    self.received += 1
                    group.append((i, msg, item, (topic, raw, retained)))
                    if msg.kind == "status" and msg.payload == "online" and self.on_online:
                        done = self._store_group(group, done)
                        group = []
                    continue
                done = self._store_group(group, done)
                group = []
                try:
                    self._handle_locked(topic, raw, retained)
                except StoreUnavailable as e:
                    e.done = i
                    raise
                done = i + 1
            done = self._store_group(group, done)
            self._store_run(run, done)
            self.last_message = time.monotonic()   # quiet is counted from the end of the last batch

    def _groupable(self, topic: str, raw: Raw, retained: bool) -> Message | None:
        """The parsed message if it may join a group (status, info without a previous boot's last seq,
        state, tele), else None: handled on its own (_handle_locked), rejections included."""
        parts = topic.split("/", 4) if isinstance(topic, str) else ()
        if len(parts) != 4 or parts[3] not in ("status", "info", "state", "tele") or (parts[2], parts[3]) in RESERVED_USES:
            return None
        try:
            msg = parse_message(topic, raw, retained)
        except Exception:
            return None                # rejected (or an outage) as one by one handling does it
        if msg.kind not in ("status", "info", "state", "tele"):
            return None
        if msg.kind == "info" and msg.payload.get("prev_boot") and msg.payload.get("prev_seq"):
            return None                # checked against the stored events, maybe rejected: on its own
        return msg

    def _group_item(self, msg: Message, group: Sequence[GroupEntry]) -> tuple[Any, ...]:
        """The Store.record_many item of a groupable message, as _on_<kind> would store it now."""
        now = self.clock()
        if msg.kind == "status":
            return ("status", msg.device, msg.payload == "online", now)
        if msg.kind != "info":
            return (msg.kind, msg.device, msg.payload, now)
        p = msg.payload
        key = (msg.device, p["boot"])
        anchor: tuple[int, int] | None = (now, p["ms"])
        if msg.retained:
            pending = any(g[2][0] == "info" and g[2][4] is not None and (g[2][1], g[2][2]["boot"]) == key
                          for g in group)
            if pending or self.anchor(*key) is not None:
                anchor = None                  # an old snapshot: its receipt time says nothing
        return ("info", msg.device, p, now, anchor)

    def _store_group(self, group: Sequence[GroupEntry], done: int) -> int:
        """Store a group of status/info/state/tele in one transaction, then what one by one handling does
        after each (anchors kept, on_online, on_stored). On a bug in it, one by one (each counted)."""
        if not group:
            return done
        try:
            self.store.record_many([g[2] for g in group])
        except Exception as e:
            if _is_outage(e):
                raise self._outage(e, group[0][0])   # what precedes the group was stored or rejected
            log.warning("ingest: a group of %d status/info/state/tele failed (%s: %s); storing them one by one",
                        len(group), type(e).__name__, e)
            self.received -= len(group)        # counted again by _handle_locked
            for i, _msg, _item, original in group:
                try:
                    self._handle_locked(*original)
                except StoreUnavailable as e1:
                    e1.done = i
                    raise
            return group[-1][0] + 1
        for _i, msg, item, _original in group:
            if item[0] == "info" and item[4] is not None:
                self._anchors[(msg.device, item[2]["boot"])] = item[4]
        for i, msg, item, _original in group:
            topic = str(msg.topic)
            try:                               # as _handle_locked after its store call
                if item[0] == "status" and item[2] and self.on_online:
                    self.on_online(msg.device)
                elif item[0] == "info" and self.on_info:
                    self.on_info(msg.device)
                self._stored(msg.device)
            except MessageRejected as e:
                self._reject(e.reason, topic, str(e))
            except Exception as e:
                if _is_outage(e):
                    err = self._outage(e, 0)
                    err.done = i
                    raise err from e
                if self._first("internal", topic):
                    log.exception("ingest: failed on %s", _cut(topic))
                self._reject("internal", topic, "%s: %s" % (type(e).__name__, e))
        return group[-1][0] + 1

    def _store_run(self, run: Sequence[tuple[int, Message]], done: int) -> int:
        """Store a run of parsed events in one transaction; on a bug in it, one by one (each counted)."""
        if not run:
            return done
        now = self.clock()
        try:
            self.store.add_events([self._event_item(msg, now) for _, msg in run])
        except Exception as e:
            if _is_outage(e):
                raise self._outage(e, done)
            log.warning("ingest: a batch of %d events failed (%s: %s); storing them one by one",
                        len(run), type(e).__name__, e)
            for i, msg in run:
                try:
                    self.store.add_event(*self._event_item(msg, self.clock()))
                except Exception as e1:
                    if _is_outage(e1):
                        raise self._outage(e1, i)
                    self._reject("internal", str(msg.topic), "%s: %s" % (type(e1).__name__, e1))
        for device in {msg.device for _, msg in run}:
            self._stored(device)
        return run[-1][0] + 1

    def _stored(self, device: str) -> None:
        if self.on_stored is not None:
            self.on_stored(device)   # the live hub: one rebuild per burst, never per client

    def _outage(self, e: BaseException, done: int) -> StoreUnavailable:
        self.not_stored += 1
        if self.not_stored == 1 or self.not_stored % 1000 == 0:
            log.error("ingest: the store cannot write (%s: %s); messages stay unacknowledged "
                      "until it can (%d so far)", type(e).__name__, e, self.not_stored)
        err = StoreUnavailable("store cannot write: %s" % e)
        err.done = done
        return err

    def _handle_locked(self, topic: str, raw: Raw, retained: bool) -> Any:
        parts = topic.split("/", 4) if isinstance(topic, str) else ()
        if len(parts) >= 4 and (parts[3] == "cmd" or (parts[2], parts[3]) in RESERVED_USES):
            return None
        self.received += 1
        try:
            msg = parse_message(topic, raw, retained)
            out = getattr(self, "_on_" + msg.kind)(msg, self.clock())
            self._stored(msg.device)
            return out
        except MessageRejected as e:
            self._reject(e.reason, topic, str(e))
        except Exception as e:
            if _is_outage(e):
                raise self._outage(e, 0) from e
            if self._first("internal", topic):
                log.exception("ingest: failed on %s", _cut(topic))
            self._reject("internal", topic, "%s: %s" % (type(e).__name__, e))
        return None

    def _reject(self, reason: str, topic: str, text: str) -> None:
        try:
            self.store.incr("rejected:" + reason)
        except Exception:
            log.exception("ingest: cannot count a rejection")
        if self._first(reason, topic, remember=True):
            log.warning("%s", _cut("ingest: rejected (%s) %s [further ones like it are only counted]" % (reason, text)))

    def _first(self, reason: str, topic: str, remember: bool = False) -> bool:
        """True if no rejection of this (device, reason) was logged yet (bounded memory)."""
        parts = topic.split("/", 3) if isinstance(topic, str) else ()
        device = parts[2] if len(parts) > 2 and valid_device_id(parts[2]) else "(invalid)"
        key = (device, reason)
        if key in self._logged:
            self._logged.move_to_end(key)
            return False
        if remember:
            self._logged[key] = None
            if len(self._logged) > LOGGED_MAX:
                self._logged.popitem(last=False)
                self.log_keys_dropped += 1
        return True

    # -- per kind -------------------------------------------------------------------------------------
    def _on_status(self, msg: Message, now: int) -> None:
        online = msg.payload == "online"
        self.store.record_status(msg.device, online, now)
        if online and self.on_online:
            self.on_online(msg.device)

    def _on_info(self, msg: Message, now: int) -> None:
        p = msg.payload
        prev, prev_seq = p.get("prev_boot"), p.get("prev_seq") or 0
        if prev and prev_seq:
            stored = self.store.max_seq(msg.device, prev) or 0
            if prev_seq > stored + PREV_SEQ_SLACK:
                self._reject("prev_seq", str(msg.topic), "%s: info.prev_seq %d is more than %d beyond seq %d, the "
                             "last the host has of boot %s: not counted as lost" % (msg.topic, prev_seq, PREV_SEQ_SLACK, stored, prev))
                p = dict(p, prev_seq=0)
        key = (msg.device, p["boot"])
        anchor: tuple[int, int] | None = (now, p["ms"])
        if msg.retained and self.anchor(*key) is not None:
            anchor = None                      # an old snapshot: its receipt time says nothing
        self.store.record_info(msg.device, p, now, anchor)
        if anchor is not None:
            self._anchors[key] = anchor
        if self.on_info:
            self.on_info(msg.device)

    def _on_state(self, msg: Message, now: int) -> None:
        self.store.record_state(msg.device, msg.payload, now)

    def _on_tele(self, msg: Message, now: int) -> None:
        self.store.record_tele(msg.device, msg.payload, now)

    def _on_resp(self, msg: Message, now: int) -> None:
        p = msg.payload
        if not self.store.record_response(p["id"], p["ok"], p.get("error"), now):
            log.info("ingest: response to unknown command %s from %s", p["id"], msg.device)
        if self.on_response:
            self.on_response(msg.device, p)

    def _on_evt(self, msg: Message, now: int) -> bool:
        return self.store.add_event(*self._event_item(msg, now))

    def _event_item(self, msg: Message, now: int) -> tuple[Any, ...]:
        """(device, boot, seq, kind, dev_ms, wall_ms, received_ms, payload, times, text) for the store."""
        p, topic = msg.payload, msg.topic
        device, boot, ms = topic.device, p["boot"], p["ms"]
        anchor = self._anchors.get((device, boot)) or self.anchor(device, boot)
        wall = to_wall(anchor, ms) if anchor else now
        times: dict[str, int] = {}
        for field in _TIME_FIELDS:
            if field in p:
                times[field] = to_wall(anchor, p[field]) if anchor else wall + ticks_diff(p[field], ms)
        return (device, boot, p["seq"], topic.sub, ms, wall, now, p, times, msg.text)

    def anchor(self, device: str, boot: str) -> tuple[int, int] | None:
        a = self._anchors.get((device, boot))
        if a is None:
            a = self.store.anchor(device, boot)
            if a is not None:
                self._anchors[(device, boot)] = a
        return a

    def idle_for(self) -> float:
        return time.monotonic() - self.last_message


def _cut(text: object) -> str:
    text = str(text)
    return text if len(text) <= LOG_MAX else "%s...(%d chars)" % (text[:LOG_MAX], len(text))
