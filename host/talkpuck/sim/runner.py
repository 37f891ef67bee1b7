"""runner — a simulated puck: the real firmware core (puckcore.Puck) on the simulator's HAL.

`SimPuck` runs in an asyncio loop of its own thread, so the host, the demo and tests can run
several pucks beside a blocking host. Button presses come from `press(name)` (the CLI) or from
the MQTT topic `talkpuck/v1/<device>/sim/button` (payload: a gesture name), which is simulator
only and never exists on a real puck.

A simulated puck boots from its folder like a real one (`resume=True`): a session, waiting hands and
a microphone pause saved by the previous run come back. `resume=False` (the demo) keeps only the
saved settings and the boot record (so the host still counts losses across runs) and starts idle.
"""
import asyncio
import logging
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from puckcore.gestures import Gestures
from puckcore.puck import Puck
from puckport.bootsettings import settings_for_boot
from puckport.jsonstore import JsonStore
from talkpuck.mqtt.link import PahoLink
from talkpuck.sim.hal import SimButton, SimClock, SimHal, SimLeds, SimMic

log = logging.getLogger("talkpuck.sim")
T = TypeVar("T")

TAP = (True, 120)
GAP = (False, 150)
PRESS_PATTERNS = {
    "press": [TAP],
    "double": [TAP, GAP, TAP],
    "long": [(True, Gestures.long_press_ms + 300)],
    "start": [TAP, GAP, TAP, GAP, (True, Gestures.start_hold_ms + 300)],
}


def load_samples(wav: str | None) -> np.ndarray | None:
    if not wav:
        return None
    from talkpuck.detection.audio import read_wav

    samples, _rate = read_wav(wav)
    return samples


class SimPuck:
    def __init__(self, device_id: str, broker_url: str, wav: str | None = None, room: str = "", speed: float = 1.0,
                 loop_audio: bool = False, data_dir: str = "var", clock_start_ms: int = 0, terminal: bool = False,
                 settings: dict[str, Any] | None = None, samples: np.ndarray | None = None,
                 resume: bool = True) -> None:
        self.device_id = device_id
        self.room = room
        self.resume = resume
        self.clock = SimClock(speed, clock_start_ms)
        self.mic = SimMic(self.clock, samples if samples is not None else load_samples(wav), loop_audio)
        self.button = SimButton(self.clock)
        self.leds = SimLeds(terminal, label=device_id + " ")
        self.link = PahoLink(broker_url, device_id)
        self.storage = JsonStore(os.path.join(data_dir, "pucks", device_id))
        self.hal = SimHal(self.clock, self.mic, self.button, self.leds, self.link, self.storage)
        values = dict(settings or {})
        if room:
            values["room"] = room
        self._settings = values
        self.puck: Puck | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stopped: asyncio.Event | None = None

    # -- thread life --------------------------------------------------------------------
    def start(self) -> "SimPuck":
        self._thread = threading.Thread(target=self._run, name="sim-" + self.device_id, daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("simulated puck %s did not start" % self.device_id)
        return self

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        finally:
            self._loop.close()

    async def _main(self) -> None:
        if not self.resume:
            self.start_afresh(self.storage)
        settings = settings_for_boot(self.storage.load("puck"), fixed=self._settings)
        self.puck = Puck.from_storage(self.hal, self.device_id, board="sim", settings=settings)
        self.puck.gestures = Gestures(active_low=False)  # the sim button reports "pressed"
        self._route_sim_topic(self.puck)
        self.puck.start()
        self._stopped = asyncio.Event()
        self._ready.set()
        sim_rx = asyncio.create_task(self._sim_button_rx())
        await self._stopped.wait()
        sim_rx.cancel()
        await self.puck.shutdown(self._drain_ms)

    @staticmethod
    def start_afresh(storage: JsonStore) -> None:
        """Forget the saved session, hands and mic pause; keep the settings (and the boot record)."""
        rec = storage.load("puck")
        if rec and set(rec) - {"v", "settings"}:
            storage.save("puck", {k: rec[k] for k in ("v", "settings") if k in rec})

    def _route_sim_topic(self, puck: Puck) -> None:
        # presses sent over MQTT reach the simulated button, not the command decoder (Puck.on_message)
        puck.on_message = self._on_sim_message

    def _on_sim_message(self, topic: str, payload: bytes | bytearray) -> bool:
        if topic != "talkpuck/v1/%s/sim/button" % self.device_id:
            return False
        try:
            self.press(bytes(payload).decode().strip())
        except (ValueError, UnicodeError) as e:
            log.warning("%s: %s", topic, e)
        return True

    async def _sim_button_rx(self) -> None:
        # simulator-only control topic, subscribed once the link is up
        topic = "talkpuck/v1/%s/sim/button" % self.device_id
        subscribed_on = -1
        while True:
            if self.link.up and subscribed_on != self.link.connects:
                try:
                    await self.link.subscribe(topic, 1)
                    subscribed_on = self.link.connects
                except OSError:
                    pass
            await asyncio.sleep(0.2)

    def stop(self, drain_ms: int = 10000) -> None:
        """Let the outbox drain (bounded), say offline, stop the thread."""
        self._drain_ms = drain_ms
        if self._loop and self._stopped:
            self._loop.call_soon_threadsafe(self._stopped.set)
        if self._thread:
            self._thread.join(drain_ms / 1000 + 10)

    # -- controls -------------------------------------------------------------------------
    def press(self, name: str) -> None:
        if name not in PRESS_PATTERNS:
            raise ValueError("unknown press %r; use one of %s" % (name, ", ".join(sorted(PRESS_PATTERNS))))
        self.button.press(PRESS_PATTERNS[name])

    def call(self, fn: Callable[..., T], *args: object) -> T:
        """Run fn(*args) on the puck's loop thread and return its result (for tests)."""
        if self._loop is None:
            raise RuntimeError("simulated puck %s is not running" % self.device_id)
        fut = asyncio.run_coroutine_threadsafe(_wrap(fn, *args), self._loop)
        return fut.result(10)

    @property
    def outbox_len(self) -> int:
        return len(self.puck.outbox) if self.puck else 0


async def _wrap(fn: Callable[..., T], *args: object) -> T:
    return fn(*args)
