"""link — every MQTT client of the host: the only module that imports paho.

    MqttLink   the host's connection (ingest, commands, the CLI's short-lived clients), threads
    PahoLink   a simulated puck's link: paho behind the firmware's async link interface

Both take a broker URL parsed by the one parser (puckport.brokerurl); a user and password in the
URL are sent as the MQTT login. An mqtts:// URL (default port 8883) connects over TLS with the
server's certificate and host name checked against `ca` (a PEM file: the installation's ca.crt made
by `talkpuck security init`, or an organisation's own CA); with no `ca`, against the system's CAs,
for a broker with a public certificate. Logs show URLs with the password as ***.

MqttLink: protocol and resilience in one small class: the first connect fails loudly (TalkpuckError), later
outages are handled by paho's reconnect loop with exponential backoff (`reconnect_min_s` to
`reconnect_max_s`); every (re)connect re-subscribes, because a broker without persistence forgets
the session. Messages are handed to `on_message(topic, payload, retained)` on paho's thread.

The host's receive path is paho's with three shortcuts (`_ReadAheadClient`, `MqttLink._ack`): the
socket read in chunks, a lean PUBLISH handler for the common case, and a batch's PUBACKs queued as
one write. They use paho 2's private methods (`_sock_recv`, `_sock_close`, `_handle_publish`,
`_in_packet`, `_packet_queue`; pyproject pins paho < 3); tests/host/test_link_readahead.py checks
them against the installed paho, and anything unusual (QoS 2, MQTT 5, a topic that is not UTF-8,
filtered callbacks, a paho without `_packet_queue`) goes paho's own way. With smaller batches and a
lighter ingest they cut the host's CPU per message under bench/host_ingest.py's load from ~58 to
~27 us (bench/RESULTS.md, 2026-12-02).

Acknowledged only when stored (manual acks: paho's `manual_ack=True`; a batch's PUBACKs are queued
to paho as one write, `MqttLink._ack`):
paho's thread only queues what arrives; one delivery thread takes everything queued (up to
`max_batch`) as one batch, hands it to `on_batch([(topic, payload, retained), ...])` (or to
`on_message` one by one) and acks a QoS 1 message only after the handler returned for it. While a
batch is stored the next one piles up, up to `max_batch` (250): Mosquitto sends at most
`max_inflight_messages` unacknowledged messages to one client (20 by default; the embedded broker
is configured with 1000), and a batch well under that limit keeps the broker sending while it is
stored. A handler that raises StoreUnavailable (the store cannot
write: disk full) leaves the batch unacked (all of it, or what follows `err.done` stored items);
it and every message after it wait, in order, in `pending`, and are handed again every `retry_s`
until the store takes them. If the link or the host goes down meanwhile, nothing unstored was
acked, so the broker sends them again (messages of an earlier connection are dropped, never acked
on a new one: their ids mean nothing there). Any other exception from the handler is a bug:
logged, and the messages acked, so they cannot block the rest.
"""
import asyncio
import logging
import queue
import struct
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from puckport import brokerurl
from talkpuck.commands.sender import check_not_retained
from talkpuck.errors import StoreUnavailable, TalkpuckError

log = logging.getLogger(__name__)

_PUBACK = struct.Struct("!BBH")   # MQTT 3.1.1 PUBACK: type 4 (0x40), remaining length 2, message id
Payload = bytes | bytearray | str | None   # what the host publishes (paho sends str as UTF-8)
Delivered = tuple[str, bytes | bytearray, bool]   # (topic, payload, retained) as the handlers get them


def parse_broker_url(url: str) -> tuple[str, int, str | None, str | None]:
    """'mqtt://[user[:password]@]host:port' -> (host, port, user, password); ConfigError naming `broker`."""
    return brokerurl.parse(url)


class _ReadAheadClient(mqtt.Client):
    """paho's client reading the socket in chunks: paho asks the socket for 1 byte (the packet type),
    1 byte per remaining-length byte, then the rest, and goes back to select() after every packet:
    five system calls for a turn event (two length bytes), each giving up the interpreter lock to the delivery thread and
    waiting to get it back. Here `_sock_recv` serves those reads from one recv(READ_SIZE) and
    `loop_read` goes on while read-ahead bytes remain, so a burst of messages costs one select and
    one recv per chunk. The packet parsing stays paho's. Nothing read ahead outlives its socket
    (`_sock_close` drops it), and `loop_read` returns with the read-ahead empty, so select() never
    waits while bytes are already here (a partial packet is kept by paho itself, in `_in_packet`)."""

    READ_SIZE = 65536
    _rbuf = b""
    _rpos = 0

    def _sock_recv(self, bufsize: int) -> bytes:
        buf, pos = self._rbuf, self._rpos
        if pos >= len(buf):
            buf = super()._sock_recv(self.READ_SIZE)   # BlockingIOError, OSError, b"" (closed): as paho's
            if not buf:
                return buf
            pos = 0
            self._rbuf = buf
        self._rpos = pos + bufsize
        return buf[pos:pos + bufsize]

    def loop_read(self, max_packets: int = 1) -> mqtt.MQTTErrorCode:
        rc = super().loop_read(max_packets)
        while rc == mqtt.MQTT_ERR_SUCCESS and self._rpos < len(self._rbuf) and self._sock is not None:
            rc = super().loop_read(max_packets)   # each call takes at least one read-ahead byte
        return rc

    def _sock_close(self) -> None:
        self._rbuf, self._rpos = b"", 0
        super()._sock_close()

    # A received PUBLISH, the common case (MQTT 3.1.1, QoS 0 or 1, manual acks, one on_message, a UTF-8
    # topic) without paho's per-message extras: an MQTTMessage builds an MQTTMessageInfo with its own
    # threading.Condition, the topic and payload are cut with struct formats made per message, a
    # debug line is formatted, and the topic goes through the filtered-callback matcher. ~40 % of
    # this thread's time per message; any other case is paho's own _handle_publish.
    _filtered = False

    def message_callback_add(self, sub: str, callback: mqtt.CallbackOnMessage) -> None:
        self._filtered = True
        super().message_callback_add(sub, callback)

    def _handle_publish(self) -> mqtt.MQTTErrorCode:
        header = self._in_packet["command"]
        qos = (header & 0x06) >> 1
        packet = self._in_packet["packet"]
        on_message = self.on_message
        if (qos > 1 or not self._manual_ack or self._protocol == mqtt.MQTTv5 or self._filtered or on_message is None
                or len(packet) < 2):
            return super()._handle_publish()
        end = 2 + ((packet[0] << 8) | packet[1])
        if end == 2 or len(packet) < end + 2 * qos:
            return super()._handle_publish()          # paho refuses it (MalformedPacket)
        try:
            topic = packet[2:end].decode("utf-8")
        except UnicodeDecodeError:
            return super()._handle_publish()
        mid = ((packet[end] << 8) | packet[end + 1]) if qos else 0
        msg = Received(topic, packet[end + 2 * qos:], qos, bool(header & 0x01), mid)
        with self._in_callback_mutex:
            try:
                on_message(self, self._userdata, msg)  # type: ignore[arg-type]  # duck-types paho's MQTTMessage
            except Exception as err:
                self._easy_log(mqtt.MQTT_LOG_ERR, "Caught exception in on_message: %s", err)
                if not self.suppress_exceptions:
                    raise
        return mqtt.MQTT_ERR_SUCCESS


class Received:
    """A message from _ReadAheadClient's common case: what MqttLink reads of paho's MQTTMessage."""

    __slots__ = ("topic", "payload", "qos", "retain", "mid")

    def __init__(self, topic: str, payload: bytes | bytearray, qos: int, retain: bool, mid: int) -> None:
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.mid = mid


Incoming = mqtt.MQTTMessage | Received   # a received message: paho's, or _ReadAheadClient's lean one


def _client(client_id: str, clean_session: bool, user: str | None = None, password: str | None = None,
            will: tuple[str, Payload] | None = None, tls: bool = False, ca: str | None = None, manual_ack: bool = False,
            cls: type[mqtt.Client] = mqtt.Client) -> mqtt.Client:
    """A paho client for MQTT 3.1.1 with the callback API of paho 2 (both links use this)."""
    c = cls(callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
            clean_session=clean_session, protocol=mqtt.MQTTv311, manual_ack=manual_ack)
    if tls:
        import ssl

        ctx = ssl.create_default_context(cafile=ca)  # CERT_REQUIRED and the host name checked
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        c.tls_set_context(ctx)
    if user is not None:
        c.username_pw_set(user, password)
    if will:
        c.will_set(will[0], will[1], qos=1, retain=True)
    return c


class MqttLink:
    reconnect_min_s = 1
    reconnect_max_s = 30
    keepalive_s = 30
    retry_s = 1.0  # a message the store could not take is handed again this often
    # messages handed to on_batch at once (the broker's inflight limit caps it too). A quarter of the
    # embedded broker's 1000 in flight: while one batch is stored the broker goes on sending the rest,
    # where a batch of all 1000 left it waiting for the acks (talkpuck/mqtt/README.md, "Batches")
    max_batch = 250

    def __init__(self, url: str, client_id: str, subscriptions: Iterable[str] = (),
                 on_message: Callable[[str, bytes | bytearray, bool], object] | None = None, on_up: Callable[[], object] | None = None,
                 clean_session: bool = False, will: tuple[str, Payload] | None = None, ca: str | None = None,
                 on_batch: Callable[[list[Delivered]], object] | None = None) -> None:
        self.host, self.port, user, password = parse_broker_url(url)
        self.url = brokerurl.redact(url)  # for messages: never the password
        self.client_id = client_id
        self.subscriptions = list(subscriptions)
        self.on_message = on_message
        self.on_batch = on_batch
        self.on_up = on_up
        self.up = threading.Event()           # connected and subscribed
        self.connects = 0
        self.pending: list[Incoming] = []                     # messages not stored yet, oldest first (not acked)
        self.retried = 0                      # handler calls that found the store unavailable
        self.batches = 0                      # batches handed to the handler (stats)
        self.largest_batch = 0
        self.acked = 0                        # QoS 1/2 messages acked (each after the handler took it)
        # (connection number, message) from paho's thread; None: stop
        self._queue: queue.SimpleQueue[tuple[int, Incoming] | None] = queue.SimpleQueue()
        self._conn = 0                        # counts connections: acks go only to the current one
        self._ack_lock = threading.Lock()
        self._retry_thread: threading.Thread | None = None
        self._handling = False
        c = _client(client_id, clean_session, user, password, will, brokerurl.is_tls(url), ca, manual_ack=True,
                    cls=_ReadAheadClient)
        c.reconnect_delay_set(min_delay=self.reconnect_min_s, max_delay=self.reconnect_max_s)
        c.max_inflight_messages_set(100)
        c.suppress_exceptions = True
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_subscribe = self._on_subscribe
        c.on_message = self._on_message
        self._client = c
        self._pending_sub: int | None = None
        self._stopping = False

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self, timeout_s: float = 10) -> None:
        """Connect, start the network thread and wait until subscribed; raises TalkpuckError if not."""
        try:
            self._client.connect(self.host, self.port, keepalive=self.keepalive_s)
        except OSError as e:  # ssl.SSLError (a certificate not signed by `ca`) is an OSError too
            raise TalkpuckError("cannot reach the MQTT broker at %s: %s" % (self.url, e))
        self._client.loop_start()
        self._retry_thread = threading.Thread(target=self._deliver_loop, name="mqtt-deliver", daemon=True)
        self._retry_thread.start()
        if not self.up.wait(timeout_s):
            self.stop()
            raise TalkpuckError("MQTT broker at %s did not accept the connection within %ss" % (self.url, timeout_s))

    def stop(self, last: tuple[str, Payload] | None = None) -> None:
        """Disconnect cleanly; `last` = (topic, payload) is published (retained) first, e.g. offline."""
        if last is not None and self.up.is_set():
            info = self._client.publish(last[0], last[1], qos=1, retain=True)
            try:
                info.wait_for_publish(2)
            except (RuntimeError, ValueError):
                pass
        self._stopping = True
        self._queue.put(None)
        self._client.disconnect()
        self._client.loop_stop()
        self.up.clear()
        if self._retry_thread is not None and self._retry_thread is not threading.current_thread():
            self._retry_thread.join(5)

    def publish(self, topic: str, payload: Payload, qos: int = 1, retain: bool = False) -> mqtt.MQTTMessageInfo:
        """Queue a message; paho sends QoS 1 messages after a reconnect if the link is down now.
        A retained command is refused (TalkpuckError): commands are never retained (commands/sender.py)."""
        check_not_retained(topic, payload, retain)
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        return info

    # -- paho callbacks (network thread) --------------------------------------------------------------
    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: mqtt.ConnectFlags, reason_code: ReasonCode,
                    properties: Properties | None = None) -> None:
        if reason_code.is_failure:
            log.warning("mqtt: connect to %s refused: %s", self.url, reason_code)
            return
        self.connects += 1
        log.info("mqtt: connected to %s as %s (session present: %s)", self.url, self.client_id,
                 getattr(flags, "session_present", None))
        if self.subscriptions:
            res, mid = client.subscribe([(s, 1) for s in self.subscriptions])
            self._pending_sub = mid
        else:
            self._set_up()

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, reason_codes: list[ReasonCode],
                      properties: Properties | None = None) -> None:
        if mid == self._pending_sub:
            self._set_up()

    def _set_up(self) -> None:
        self.up.set()
        if self.on_up:
            try:
                self.on_up()
            except Exception:
                log.exception("mqtt: on_up handler failed")

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: mqtt.DisconnectFlags, reason_code: ReasonCode,
                       properties: Properties | None = None) -> None:
        if self.up.is_set() and not self._stopping:
            log.warning("mqtt: lost %s (%s); reconnecting with backoff", self.url, reason_code)
        self.up.clear()
        with self._ack_lock:
            # message ids of this connection mean nothing on the next one: the broker sends them again
            self._conn += 1

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: Incoming) -> None:
        self._queue.put((self._conn, msg))

    def busy(self) -> bool:
        """True while messages received are not yet handed to the handler or not yet taken by it."""
        return self._handling or not self._queue.empty()

    # -- delivery (one thread: order kept) -------------------------------------------------------------
    def _deliver_loop(self) -> None:
        batch: list[tuple[int, Incoming]] = []
        while not self._stopping:
            if not batch:
                item = self._queue.get()
                if item is None:
                    break
                batch = [item]
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    return
                batch.append(item)
            conn = self._conn
            batch = [m for m in batch if m[0] == conn]   # earlier connections': the broker sends them again
            self.pending = [m[1] for m in batch]
            if not batch:
                continue
            self._handling = True
            try:
                done = self._deliver([m[1] for m in batch])
            finally:
                self._handling = False
            self._ack([m for m in batch[:done]])
            batch = batch[done:]
            self.pending = [m[1] for m in batch]
            if batch:                                     # the store could not take them: wait, retry
                self.retried += 1
                deadline = self.retry_s
                while deadline > 0 and not self._stopping:
                    threading.Event().wait(min(0.1, deadline))
                    deadline -= 0.1

    def _deliver(self, msgs: Sequence[Incoming]) -> int:
        """Hand `msgs` to the handler; returns how many of them (from the start) it took."""
        self.batches += 1
        self.largest_batch = max(self.largest_batch, len(msgs))
        try:
            if self.on_batch is not None:
                self.on_batch([(m.topic, m.payload, bool(m.retain)) for m in msgs])
            elif self.on_message is not None:
                for i, m in enumerate(msgs):
                    try:
                        self.on_message(m.topic, m.payload, bool(m.retain))
                    except StoreUnavailable as e:
                        e.done = i
                        raise
                    except Exception:   # a handler bug must not block the queue
                        log.exception("mqtt: handler failed for %s", m.topic)
        except StoreUnavailable as e:
            return int(getattr(e, "done", 0) or 0)
        except Exception:   # a handler bug must not kill the delivery thread nor block the queue
            log.exception("mqtt: handler failed for a batch of %d", len(msgs))
        return len(msgs)

    def _ack(self, items: Sequence[tuple[int, Incoming]]) -> None:
        """Ack the QoS 1 messages of `items` (those of the current connection). The PUBACKs of a batch
        go to paho's send queue as ONE write (`_packet_queue`, the queue paho's own `ack()` uses): one
        wake-up of paho's thread and one send() per batch instead of one of each per message (the
        delivery thread alone spent ~5 us per message on them under bench/host_ingest.py's load).
        Without that method (a paho that renamed it), or for QoS 2, paho's public `ack()` per message."""
        with self._ack_lock:
            conn = self._conn
            mids: list[int] = []
            for c, m in items:
                if c != conn or not m.qos:
                    continue
                if m.qos == 1:
                    mids.append(m.mid)
                else:
                    self._client.ack(m.mid, m.qos)
            self.acked += len(mids) + sum(1 for c, m in items if c == conn and m.qos == 2)
            if not mids:
                return
            queue_packet = getattr(self._client, "_packet_queue", None)
            if queue_packet is None or len(mids) == 1:
                for mid in mids:
                    self._client.ack(mid, 1)
                return
            pack = _PUBACK.pack
            queue_packet(0x40, b"".join([pack(0x40, 2, mid) for mid in mids]), mids[-1], 1)


class PahoLink:
    """A simulated puck's link, as the device's client behaves: MQTT 3.1.1, clean_session=False with
    the device id as client id and username, a last will of `offline`, QoS 1 publishes that return
    when the broker acks, and every fault raised as OSError so the puck has one reconnect path.
    Reconnecting is the puck's job (puckcore/puck.py), so each connect() makes a fresh paho client."""

    connect_timeout_s = 5.0
    publish_timeout_s = 10.0

    def __init__(self, broker_url: str, client_id: str, ca: str | None = None) -> None:
        self.host, self.port, _user, self.password = parse_broker_url(broker_url)
        self.tls = brokerurl.is_tls(broker_url)
        self.ca = ca
        self.client_id = client_id
        self.up = False
        self.connects = 0
        self._client: mqtt.Client | None = None
        # set by connect(), before paho can call back
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[Delivered] | None = None
        self._connected = asyncio.Event()
        self.published: list[tuple[str, bytes]] = []  # (topic, payload) of every acked publish, for tests and the privacy check
        self.keep_published = False

    async def connect(self, will_topic: str, will_payload: Payload) -> None:
        self._loop = asyncio.get_running_loop()
        if self._queue is None:
            self._queue = asyncio.Queue()
        await self.close()
        # as the device: the device id is client id and username
        c = _client(self.client_id, False, self.client_id, self.password, (will_topic, will_payload),
                    self.tls, self.ca)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        c.on_subscribe = self._on_subscribe
        self._subacks: dict[int, list[Any]] = {}   # mid -> [asyncio.Event, ok]
        self._connected = asyncio.Event()
        self._client = c
        try:
            await self._loop.run_in_executor(None, c.connect, self.host, self.port, 30)
        except OSError:
            self._client = None
            raise
        c.loop_start()
        try:
            await asyncio.wait_for(self._connected.wait(), self.connect_timeout_s)
        except asyncio.TimeoutError:
            await self.close()
            raise OSError("MQTT connect timed out")
        if not self.up:
            await self.close()
            raise OSError("MQTT connect refused")
        self.connects += 1

    def _from_paho(self, fn: Callable[..., object], *args: Any) -> None:
        """Run fn(*args) on the puck's event loop: paho calls back on its own thread."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(fn, *args)

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: mqtt.ConnectFlags, reason_code: ReasonCode,
                    properties: Properties | None) -> None:
        ok = not reason_code.is_failure
        self._from_paho(self._set_up, client, ok)

    def _set_up(self, client: mqtt.Client, ok: bool) -> None:
        if client is self._client:
            self.up = ok
            self._connected.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: mqtt.DisconnectFlags, reason_code: ReasonCode,
                       properties: Properties | None) -> None:
        self._from_paho(self._set_down, client)

    def _set_down(self, client: mqtt.Client) -> None:
        if client is self._client:
            self.up = False

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, reason_codes: list[ReasonCode],
                      properties: Properties | None) -> None:
        ok = not any(rc.is_failure for rc in reason_codes)
        self._from_paho(self._suback, mid, ok)

    def _suback(self, mid: int, ok: bool) -> None:
        waiter = self._subacks.get(mid)
        if waiter is not None:
            waiter[1] = ok
            waiter[0].set()

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        if self._queue is not None:
            self._from_paho(self._queue.put_nowait, (msg.topic, bytes(msg.payload), bool(msg.retain)))

    async def publish(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        c = self._client
        if c is None or not self.up:
            raise OSError("MQTT link down")
        info = c.publish(topic, payload, qos=qos, retain=retain)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise OSError("MQTT publish failed: rc=%s" % info.rc)
        if qos:
            waited = 0.0
            while not info.is_published():
                if not self.up or c is not self._client:
                    raise OSError("MQTT link lost before PUBACK")
                if waited > self.publish_timeout_s:
                    raise OSError("MQTT PUBACK timed out")
                await asyncio.sleep(0.002)
                waited += 0.002
        if self.keep_published:
            self.published.append((topic, bytes(payload)))

    async def subscribe(self, topic: str, qos: int) -> None:
        c = self._client
        if c is None or not self.up:
            raise OSError("MQTT link down")
        # wait for the SUBACK, as the device client does: a command sent right after a first
        # connect must not race the subscription
        done: list[Any] = [asyncio.Event(), False]
        rc, mid = c.subscribe(topic, qos)
        if rc != mqtt.MQTT_ERR_SUCCESS or mid is None:     # (paho gives a mid with every success)
            raise OSError("MQTT subscribe failed: rc=%s" % rc)
        self._subacks[mid] = done
        try:
            await asyncio.wait_for(done[0].wait(), self.connect_timeout_s)
        except asyncio.TimeoutError:
            raise OSError("MQTT SUBACK timed out")
        finally:
            self._subacks.pop(mid, None)
        if not done[1]:
            raise OSError("MQTT subscription to %s refused" % topic)

    async def recv(self) -> Delivered:
        while self._queue is None:
            await asyncio.sleep(0.05)
        return await self._queue.get()

    async def close(self) -> None:
        c = self._client
        self._client = None
        self.up = False
        if c is not None:
            # loop_stop() joins paho's thread, which may sit in a reconnect attempt: never block
            # the puck's event loop on it (the button and ring tasks must keep running)
            await asyncio.get_running_loop().run_in_executor(None, _close_client, c)


def _close_client(c: mqtt.Client) -> None:
    try:
        c.disconnect()
    except Exception:  # already gone
        pass
    c.loop_stop()
