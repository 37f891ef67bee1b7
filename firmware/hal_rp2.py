"""hal_rp2 — the puck's HAL on a Raspberry Pi Pico W (MicroPython rp2 port): McuHal with the rp2 limits.

Reduced pipeline, documented: the RP2040 has no FPU and 264 KB of RAM, so
* the CPU stays at the stock 125 MHz unless `cpu_hz` is set (200 MHz is supported by recent Pico
  SDKs with a core-voltage bump; try it only if frames fall behind);
* I2S runs on PIO and needs ws = sck + 1 (the board checker enforces it);
* the DMA buffer is smaller (`mic.ibuf_bytes` 12000 = 190 ms);
* the CYW43 radio owns GP23/24/25/29 (board `reserved`);
* the detector runs its light configuration (hardware/boards/pico-w.json `"detector": "light"`,
  puckcore/detect_light.py): VAD and turns, one voice, no remote cue; `info.caps` then lacks `voices`
  and `remote`, and turns carry no `remote` (the host shows the room and the call as not known).
Whether the light detector keeps within 20 ms a frame on the RP2040 is not measured yet (no
hardware): compare `Puck.frames` with uptime (50 a second) on a real Pico W before trusting turns.
"""
import machine
import network

import hal_mcu

cpu_hz = None  # e.g. 200000000; None keeps the stock clock
country = "GB"  # Wi-Fi regulatory domain: set yours


def make_hal(cfg, board):
    if cpu_hz:
        machine.freq(cpu_hz)
    try:
        network.country(country)  # the radio's regulatory domain (rp2.country is deprecated)
    except (AttributeError, ValueError):
        pass
    return hal_mcu.McuHal(cfg, board)


def button_held(board):
    return hal_mcu.button_held(board)
