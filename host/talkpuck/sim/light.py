"""light — a light simulated puck for load: the firmware's real codec and outbox, no audio, no ring.

A `LightPuck` speaks the protocol exactly as a puck does (retained `status` with a last will,
`info`, `state`; `evt/*` stamped by puckcore.outbox.Outbox with (boot, seq, ms) and encoded by
puckcore.codec; `tele` at QoS 0; it subscribes to its `cmd/#` and the group's) over its own MQTT
connection and login (talkpuck.sim.mqttlite), but its events come from a timetable instead of a
microphone and a button, so a thousand of them fit in one asyncio loop:

    a turn every `turn_s` (3 s, +-30 %), one in `burst_every` turns followed by two quick ones
    (a burst: people talking over each other); `tele` every `tele_s` (30 s); a hand raised every
    `hand_s` (120 s) with the `state` it changes; a session phase change (running -> warning ->
    ended -> running ...) every `phase_s` (150 s) with its `state`.
That is about 0.45 messages a second a puck (`rate_per_s()`).

`created` (a dict shared by the pucks of a run) gets `(device, boot, seq) -> time.time()` at the
moment each event is created (handed to the outbox), for latency figures (bench/thousand_pucks.py).
"""
import asyncio
import os
import random
import ssl
import time
from collections.abc import Callable
from typing import Any

from puckcore.codec import device_root, encode_doc
from puckcore.outbox import Outbox
from puckcore.protocol import GROUP, PROTOCOL_REVISION, ROOT
from talkpuck.sim.mqttlite import LiteClient

PHASES = ("running", "warning", "ended")


class LightPuck:
    turn_s = 3.0
    burst_every = 10
    tele_s = 30.0
    hand_s = 120.0
    phase_s = 150.0
    reconnect_s = 2.0

    def __init__(self, device: str, host: str, port: int, password: str | None = None,
                 ssl_ctx: ssl.SSLContext | None = None, created: dict[tuple[str, str, int], float] | None = None,
                 rng: random.Random | None = None) -> None:
        self.device = device
        self.root = device_root(device)
        self.boot = os.urandom(4).hex()
        self.rng = rng or random.Random()
        self.created = created if created is not None else {}
        self.wake = asyncio.Event()
        self.outbox = Outbox(self.boot, event=self.wake)
        self.client = LiteClient(host, port, device, password, ssl_ctx,
                                 will=(self.root + "status", b"offline"), on_message=self._on_command)
        self._t0 = time.monotonic()
        self.commands = 0
        self.sent = 0
        self.connects = 0
        self.errors = 0
        self.phase = "idle"
        self.session: str | None = None
        self.hands = 0
        self.stopping = False

    @classmethod
    def rate_per_s(cls) -> float:
        turns = (1 + 2.0 / cls.burst_every) / cls.turn_s
        return turns + 1 / cls.tele_s + 2 / cls.hand_s + 2 / cls.phase_s

    def ms(self) -> int:
        return int((time.monotonic() - self._t0) * 1000) + 1000   # a puck clock well below the 2**30 wrap

    def _on_command(self, topic: str, payload: bytes, retained: bool) -> None:
        self.commands += 1        # cmd/time and the like: acknowledged (PUBACK) by the client, not acted on

    # -- the link -------------------------------------------------------------------------------------
    async def connect(self) -> None:
        c = self.client
        await c.connect()
        self.connects += 1
        # subscribed before `online`: the host answers `online` with cmd/time at once
        await c.subscribe(self.root + "cmd/#", 1)
        await c.subscribe("%s/%s/cmd/#" % (ROOT, GROUP), 1)
        await c.publish(self.root + "status", b"online", 1, True)
        await c.publish(self.root + "info", self.info_doc(), 1, True)
        await self._publish_state()

    def info_doc(self) -> bytes:
        """The retained info (§ info): its room, a room of its own; prev_boot/prev_seq are required fields."""
        info = {"fw": "0.1.0-light", "board": "light-sim", "leds": 16, "room": "Room %s" % self.device,
                "caps": ["turns", "button", "voices", "remote"], "proto_rev": PROTOCOL_REVISION,
                "prev_boot": None, "prev_seq": 0}
        return encode_doc(self.boot, self.ms(), info)

    async def _publish_state(self) -> None:
        fields = {"phase": self.phase, "session": self.session, "limit_s": 300 if self.session else 0,
                  "remaining_s": 120, "talking": False, "voice": 0, "hands": self.hands, "hand_ack": 0,
                  "mic": "on"}
        await self.client.publish(self.root + "state", encode_doc(self.boot, self.ms(), fields), 1, True)

    async def _sender(self) -> None:
        """The outbox's link task, as puckcore/puck.py runs it: oldest first, acked by the broker."""
        ob = self.outbox
        while not self.stopping:
            item = ob.peek()
            if item is None:
                self.wake.clear()
                await self.wake.wait()
                continue
            seq, kind, payload = item
            try:
                await self.client.publish(self.root + "evt/" + kind, payload, 1, False)
            except OSError:
                self.errors += 1
                ob.rewind(self.ms())
                await self._reconnect()
                continue
            ob.ack(seq, self.ms())
            self.sent += 1

    async def _reconnect(self) -> None:
        await self.client.close(clean=False)
        while not self.stopping:
            await asyncio.sleep(self.reconnect_s * (0.5 + self.rng.random()))
            try:
                await self.connect()
                return
            except OSError:
                self.errors += 1

    # -- what happens at the table ---------------------------------------------------------------------
    def event(self, kind: str, fields: dict[str, Any]) -> int:
        """Create an event now: stamped and queued by the real outbox; its creation time noted."""
        now = time.time()
        seq = self.outbox.add(kind, fields, self.ms())
        self.created[(self.device, self.boot, seq)] = now
        return seq

    def turn(self) -> None:
        end = self.ms()
        voice = self.rng.randint(1, 6)
        self.event("turn", {"start_ms": max(0, end - self.rng.randint(800, 6000)), "end_ms": end,
                            "voice": voice, "conf": self.rng.randint(40, 100),
                            "level_db": -self.rng.randint(20, 45),
                            "remote": voice >= 5})  # voices 5 and 6 come through a laptop (revision 5)

    async def _every(self, period_s: float, action: Callable[[], object], jitter: float = 0.3) -> None:
        await asyncio.sleep(self.rng.random() * period_s)      # pucks do not start in step
        while not self.stopping:
            r = action()
            if asyncio.iscoroutine(r):
                await r
            await asyncio.sleep(period_s * (1 + jitter * (2 * self.rng.random() - 1)))

    async def _turns(self) -> None:
        self.turn()
        if self.rng.random() < 1.0 / self.burst_every:
            for _ in range(2):
                await asyncio.sleep(self.rng.uniform(0.05, 0.2))
                self.turn()

    async def _tele(self) -> None:
        fields = {"uptime_s": self.ms() // 1000, "mem_free": 80000, "mem_alloc": 40000, "outbox": len(self.outbox),
                  "dropped": self.outbox.dropped, "outbox_dropped": self.outbox.dropped, "detector_dropped": 0,
                  "resp_dropped": 0, "rejected": 0, "mqtt_discards": 0, "mic_short_reads": 0, "storage_errors": 0,
                  "link_error": None, "rssi": -60}
        if self.client.up:
            try:
                await self.client.publish(self.root + "tele", encode_doc(self.boot, self.ms(), fields), 0, False)
            except OSError:
                self.errors += 1

    async def _hand(self) -> None:
        self.hands += 1
        seq = self.outbox.next_seq
        self.event("hand", {"action": "raise", "hand": seq, "waiting": self.hands})
        await self._state_safe()

    async def _phase(self) -> None:
        i = (PHASES.index(self.phase) + 1) % len(PHASES) if self.phase in PHASES else 0
        self.phase = PHASES[i]
        if self.phase == "running":
            self.session = "s-%s-%d" % (self.device, self.ms())
            self.hands = 0
        self.event("session", {"phase": self.phase, "session": self.session, "limit_s": 300, "warn_s": 60,
                               "remaining_s": {"running": 300, "warning": 60, "ended": 0}[self.phase],
                               "cause": "timer" if self.phase != "running" else "cmd"})
        await self._state_safe()

    async def _state_safe(self) -> None:
        if self.client.up:
            try:
                await self._publish_state()
            except OSError:
                self.errors += 1

    async def run(self, duration_s: float, gate: asyncio.Semaphore | None = None,
                  on_connected: Callable[["LightPuck"], object] | None = None) -> None:
        """Connect (retrying; inside `gate`, a semaphore that spreads TLS handshakes), then live for
        `duration_s`; returns when done (outbox drained, or 10 s)."""
        while True:
            try:
                if gate is not None:
                    async with gate:
                        await self.connect()
                else:
                    await self.connect()
                if on_connected is not None:
                    on_connected(self)
                break
            except OSError:
                self.errors += 1
                await asyncio.sleep(self.reconnect_s * (0.5 + self.rng.random()))
        loop = asyncio.get_running_loop()
        tasks = [loop.create_task(self._sender()),
                 loop.create_task(self._every(self.turn_s, self._turns)),
                 loop.create_task(self._every(self.tele_s, self._tele, 0.05)),
                 loop.create_task(self._every(self.hand_s, self._hand)),
                 loop.create_task(self._every(self.phase_s, self._phase, 0.1))]
        await asyncio.sleep(duration_s)
        for t in tasks[1:]:
            t.cancel()
        drain_until = time.monotonic() + 10
        while len(self.outbox) and time.monotonic() < drain_until:
            await asyncio.sleep(0.05)
        self.stopping = True
        self.wake.set()
        tasks[0].cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.client.close(clean=True)
