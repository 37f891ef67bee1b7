"""The watchdog: fed only while audio, ring and link loop; a stuck task stops it and the next boot
says which; a link outage (or a hanging connect that times out) does not. Virtual time, fake HAL."""
import asyncio

from fakes.hal import FakeHal, MemStorage
from puckcore.puck import Puck
from puckcore.ticks import ticks_diff
from puckcore.watchdog import W_AUDIO, W_LINK, W_RING, Watchdog, boot_reason

DEV = "puck-w1"


class FakeWatchdog:
    """The platform's watchdog (machine.WDT, sd_notify): counts feeds and when the last one was."""

    def __init__(self, clock):
        self.clock = clock
        self.feeds = 0
        self.last = None

    def feed(self):
        self.feeds += 1
        self.last = self.clock.now_ms()


class StuckMic:
    """Delivers `good` frames, then its read never returns (a wedged driver)."""

    def __init__(self, clock, good):
        self.clock = clock
        self.good = good
        self.frames = 0
        self.short_reads = 0

    async def read(self, frame):
        if self.frames >= self.good:
            while True:
                await asyncio.sleep(0)
        self.clock.advance(20)
        self.frames += 1
        await asyncio.sleep(0)
        return True


class DownLink:
    """A Wi-Fi outage: every connect fails (after `hang_ms` of trying, on the fake clock)."""

    def __init__(self, clock, hang_ms=0):
        self.clock = clock
        self.hang_ms = hang_ms
        self.up = False
        self.attempts = 0
        self.discards = 0
        self.last_error = None

    async def connect(self, will_topic, will_payload):
        self.attempts += 1
        t = self.clock.now_ms()
        while ticks_diff(self.clock.now_ms(), t) < self.hang_ms:
            await asyncio.sleep(0)
        raise OSError("Wi-Fi: network not found")

    async def recv(self):
        while True:
            await asyncio.sleep(0)

    async def close(self):
        pass


def advance(hal, ms):
    """Move the clock by hand (the mic, which drives it, may be stuck)."""

    async def go():
        for _ in range(ms // 20):
            hal.clock.advance(20)
            await asyncio.sleep(0)

    return go()


def boot(hal, scenario, link_limit_ms=None):
    hal.watchdog = FakeWatchdog(hal.clock)
    puck = Puck.from_storage(hal, DEV)
    if link_limit_ms:  # shorter than a real connect's limit, so the test runs less puck time
        puck.watch.limits_ms = (3000, 3000, link_limit_ms)

    async def main():
        puck.start()
        try:
            await scenario(hal, puck)
        finally:
            puck.deinit()

    asyncio.run(main())
    return puck


def test_fed_while_everything_loops():
    hal = FakeHal()

    async def scenario(hal, puck):
        await hal.run_for_ms(10000)

    puck = boot(hal, scenario)
    assert 8 <= hal.watchdog.feeds <= 12, hal.watchdog.feeds  # about once a second (feed_ms)
    assert puck.watch.stalls == 0
    assert "wdt" not in hal.storage.docs


def test_stuck_audio_stops_feeding_and_next_boot_says_why():
    storage = MemStorage()
    hal = FakeHal(storage)
    hal.mic = StuckMic(hal.clock, 100)  # 2 s of frames, then wedged
    fed_at_stall = []

    async def scenario(hal, puck):
        await hal.run_for_ms(1500)
        await advance(hal, 1000)  # the mic is stuck from 2 s on
        fed_at_stall.append(hal.watchdog.feeds)
        await advance(hal, 10000)

    puck = boot(hal, scenario)
    assert hal.mic.frames == 100
    # fed until the audio task had been silent for its limit (3 s), never after
    assert hal.watchdog.feeds <= fed_at_stall[0] + 3
    assert puck.watch.stalls == 1 and puck.watch.stale_task == W_AUDIO
    assert storage.docs["wdt"] == {"task": "audio"}

    # the platform resets the puck; the next boot reports why, once
    hal2 = FakeHal(storage, boot="0badf00e")
    hal2.reset_reason = lambda: "watchdog"
    p2 = Puck.from_storage(hal2, DEV)
    assert p2.info_fields()["reset_reason"] == "watchdog:audio"
    assert storage.docs["wdt"] == {}
    assert Puck.from_storage(FakeHal(storage), DEV).info_fields()["reset_reason"] == "unknown"


def test_wifi_outage_does_not_stop_feeding():
    hal = FakeHal()
    hal.link = DownLink(hal.clock, hang_ms=5000)  # each attempt takes 5 s, then fails

    async def scenario(hal, puck):
        await hal.run_for_ms(60000)  # a minute without a network

    puck = boot(hal, scenario, link_limit_ms=15000)
    assert hal.link.attempts >= 5  # backoff 0.5, 1, 2, 4, 8 s, each attempt 5 s
    assert puck.watch.stalls == 0 and "wdt" not in hal.storage.docs
    assert hal.watchdog.feeds >= 58
    assert puck.ctrl.connected is False


def test_connect_hanging_forever_is_wedged():
    hal = FakeHal()
    hal.link = DownLink(hal.clock, hang_ms=1 << 29)  # never returns nor times out

    async def scenario(hal, puck):
        await hal.run_for_ms(20000)

    puck = boot(hal, scenario, link_limit_ms=15000)
    assert puck.watch.stale_task == W_LINK
    assert hal.storage.docs["wdt"] == {"task": "link"}


def test_task_back_in_time_clears_the_note():
    store = MemStorage()
    hw = FakeWatchdog(None)
    hw.clock = type("C", (), {"now_ms": lambda self: 0})()
    wd = Watchdog(hw, store)
    wd.feed(0)
    wd.checkin(W_AUDIO, 0)
    wd.checkin(W_LINK, 0)
    wd.checkin(W_RING, 3500)
    assert wd.feed(3500) is False and store.docs["wdt"] == {"task": "audio"}
    wd.checkin(W_AUDIO, 3600)
    wd.idle(W_LINK)  # waiting for work: alive however long it waits
    wd.checkin(W_RING, 3600)
    assert wd.feed(3600) is True and store.docs["wdt"] == {}
    assert wd.stale_task == -1 and wd.stalls == 1
    quiet = Watchdog(None, MemStorage())  # the simulator: no platform watchdog, no note
    quiet.feed(0)
    assert quiet.feed(5000) is False and quiet.stale_task == W_AUDIO and quiet.storage.docs == {}


def test_boot_reason_platform_causes():
    store = MemStorage()

    class H:
        def __init__(self, r):
            self.r = r

        def reset_reason(self):
            return self.r

    assert boot_reason(H("power"), store) == "power"
    assert boot_reason(H("bogus"), store) == "unknown"
    assert boot_reason(object(), store) == "unknown"
    store.docs["wdt"] = {"task": "ring"}
    assert boot_reason(H("power"), store) == "power"  # a power cut after the note: the platform's word
    store.docs["wdt"] = {"task": "ring"}
    assert boot_reason(H("soft"), store) == "watchdog:ring"  # the Pi: systemd restarted the service
    store.docs["wdt"] = {"task": "nonsense"}
    assert boot_reason(H("watchdog"), store) == "watchdog"
