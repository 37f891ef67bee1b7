"""A fake HAL for the puck app: virtual time driven by the mic, an in-memory MQTT link.

Works under MicroPython and CPython (no asyncio.Queue, which MicroPython lacks). Time is purely
virtual: each mic frame advances the FakeClock by 20 ms, and `sleep_ms` waits on that clock, so a
test runs minutes of puck time in well under a second, the same way on every interpreter.
"""
import asyncio

from fakes.clock import FakeClock
from puckcore.ticks import ticks_add, ticks_diff


class FakeMic:
    def __init__(self, clock, level=0):
        self.clock = clock
        self.level = level  # amplitude of a square wave; 0 is silence
        self.frames = 0
        self.short_reads = 0  # as firmware/hal_mcu.py's I2SMic counts them (set by tests)

    async def read(self, frame):
        self.clock.advance(20)
        self.frames += 1
        a = self.level
        for i in range(len(frame)):
            frame[i] = a if (i // 20) % 2 else -a
        await asyncio.sleep(0)
        return True


class FakeButton:
    def __init__(self):
        self.pressed = False

    def value(self):
        return self.pressed


class FakeLeds:
    def __init__(self):
        self.writes = 0
        self.last = None

    def write(self, buf):
        self.writes += 1
        self.last = bytes(buf)


class FakeLink:
    """Records what the puck publishes; `inject()` delivers a message; `fail_next` breaks the link."""

    def __init__(self):
        self.up = False
        self.connects = 0
        self.published = []  # (topic, payload, qos, retain)
        self.subscribed = []
        self.will = None
        self.inbox = []
        self.fail_next = 0  # the next N publishes raise OSError and drop the link
        self.discards = 0  # counters a real link keeps (firmware/lib/mqtt_client.py), set by tests
        self.last_error = None

    async def connect(self, will_topic, will_payload):
        self.will = (will_topic, will_payload)
        self.up = True
        self.connects += 1

    async def publish(self, topic, payload, qos, retain):
        if not self.up:
            raise OSError("down")
        if self.fail_next:
            self.fail_next -= 1
            self.up = False
            raise OSError("link fault")
        self.published.append((topic, bytes(payload), qos, retain))

    async def subscribe(self, topic, qos):
        if not self.up:
            raise OSError("down")
        self.subscribed.append((topic, qos))

    async def recv(self):
        while not self.inbox:
            await asyncio.sleep(0)
        return self.inbox.pop(0)

    async def close(self):
        self.up = False

    def inject(self, topic, payload):
        self.inbox.append((topic, payload))

    def topics(self, suffix):
        return [p for p in self.published if p[0].endswith(suffix)]


class MemStorage:
    def __init__(self, docs=None):
        self.docs = docs if docs is not None else {}
        self.saves = 0
        self.errors = 0  # failed saves, as firmware/jsonstore.py counts them (set by tests)

    def load(self, name):
        return self.docs.get(name)

    def save(self, name, obj):
        self.saves += 1
        self.docs[name] = obj


class FakeHal:
    def __init__(self, storage=None, boot="0badf00d"):
        self.clock = FakeClock()
        self.mic = FakeMic(self.clock)
        self.button = FakeButton()
        self.leds = FakeLeds()
        self.link = FakeLink()
        self.storage = storage or MemStorage()
        self._boot = boot

    async def sleep_ms(self, ms):
        until = ticks_add(self.clock.now_ms(), ms)
        while ticks_diff(until, self.clock.now_ms()) > 0:
            await asyncio.sleep(0)

    async def run_for_ms(self, ms):
        await self.sleep_ms(ms)

    def new_boot_id(self):
        return self._boot

    def mem(self):
        return (0, 0)

    def rssi(self):
        return None

    def uptime_s(self):
        return 0
