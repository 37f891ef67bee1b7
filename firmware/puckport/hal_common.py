"""hal_common — what every MicroPython HAL (device or unix port) provides the same way.

The puck app (puckcore/puck.py) calls these on `hal`; a platform HAL subclasses `HalServices`
and adds its clock, mic, button, leds, link and storage (and `rssi` where it has a radio).
"""
import asyncio
import binascii
import gc
import os

from puckport.uptime import Uptime


class HalServices:
    def __init__(self):
        self._uptime = Uptime()

    def sleep_ms(self, ms):
        # not `async def`: hands back asyncio's own awaitable, so no coroutine object per call
        # (the app calls this ~170 times a second; an async def call costs ~100 bytes of heap)
        return asyncio.sleep_ms(ms)

    def new_boot_id(self):
        return binascii.hexlify(os.urandom(4)).decode()

    def mem(self):
        return (gc.mem_free(), gc.mem_alloc())

    def rssi(self):  # type: () -> int | None
        return None

    def uptime_s(self):
        return self._uptime.seconds()
