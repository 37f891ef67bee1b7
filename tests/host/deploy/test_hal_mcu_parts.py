"""hal_mcu's watchdog, chime and reset reason on a fake `machine` (the MCU's lowest calls), under
CPython: the WDT starts at the first feed with the RP2040-safe timeout, the chime plays two soft
notes on the PWM and goes quiet, and machine.reset_cause() maps onto info.reset_reason."""
import asyncio
import importlib
import os
import sys
import types

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


class Log(list):
    pass


def fake_machine(log, cause):
    m = types.ModuleType("machine")

    class Pin:
        IN = 0
        PULL_UP = 1
        PULL_DOWN = 2

        def __init__(self, n, *a):
            self.n = n

    class PWM:
        def __init__(self, pin, freq=0, duty_u16=0):
            log.append(("pwm", pin.n, freq, duty_u16))

        def freq(self, hz):
            log.append(("freq", hz))

        def duty_u16(self, d):
            log.append(("duty", d))

    class WDT:
        def __init__(self, timeout):
            log.append(("wdt", timeout))

        def feed(self):
            log.append(("feed",))

    m.Pin, m.PWM, m.WDT = Pin, PWM, WDT
    m.I2S = m.RTC = object
    m.PWRON_RESET, m.HARD_RESET, m.WDT_RESET, m.DEEPSLEEP_RESET, m.SOFT_RESET = 1, 2, 3, 4, 5
    m.reset_cause = lambda: cause
    return m


@pytest.fixture
def hal_mcu(monkeypatch):
    log = Log()
    state = {"cause": 3}
    m = fake_machine(log, 0)
    m.reset_cause = lambda: state["cause"]
    monkeypatch.setitem(sys.modules, "machine", m)
    monkeypatch.setitem(sys.modules, "network", types.ModuleType("network"))
    monkeypatch.setitem(sys.modules, "neopixel", types.ModuleType("neopixel"))
    for p in (os.path.join(ROOT, "firmware"), os.path.join(ROOT, "firmware", "lib")):
        monkeypatch.syspath_prepend(p)
    monkeypatch.delitem(sys.modules, "hal_mcu", raising=False)
    mod = importlib.import_module("hal_mcu")
    yield mod, log, state
    sys.modules.pop("hal_mcu", None)


def test_watchdog_starts_at_first_feed(hal_mcu):
    mod, log, _ = hal_mcu
    wd = mod.HwWatchdog(mod.McuHal.watchdog_ms)
    assert log == []  # nothing runs until the puck's first feed
    wd.feed()
    wd.feed()
    assert log == [("wdt", 8000), ("feed",), ("feed",)]
    assert mod.McuHal.watchdog_ms <= 8388  # the RP2040's limit


def test_chime_two_soft_notes_then_quiet(hal_mcu, monkeypatch):
    mod, log, _ = hal_mcu
    monkeypatch.setattr(asyncio, "sleep_ms", lambda ms: asyncio.sleep(ms / 1000.0), raising=False)

    async def main():
        c = mod.PwmChime(21)
        ms = c.play("warning")
        assert ms == 300
        await c._task

    asyncio.run(main())
    assert log[0] == ("pwm", 21, 1000, 0)
    assert log[1:] == [("freq", 1760), ("duty", 1500), ("freq", 1320), ("duty", 1500), ("duty", 0)]


def test_reset_cause_names(hal_mcu):
    mod, _, state = hal_mcu
    for cause, name in ((1, "power"), (2, "hard"), (3, "watchdog"), (4, "deepsleep"), (5, "soft"), (99, "unknown")):
        state["cause"] = cause
        assert mod.reset_reason() == name
