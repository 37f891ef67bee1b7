"""hal_esp32 — the puck's HAL on an ESP32-S3 (MicroPython esp32 port): McuHal plus the chip's settings.

Pins come from board.json (hardware/boards/esp32s3-devkit.json), checked on the host before deploy.
The CPU runs at 240 MHz (the detector's per-frame budget is 20 ms). I2S uses the ESP-IDF driver
with DMA: `mic.ibuf_bytes` is its buffer (16000 bytes = 250 ms of 32-bit mono, so a long flash write
or a TLS-free MQTT burst does not drop audio).
"""
import machine

import hal_mcu

CPU_HZ = 240000000


def make_hal(cfg, board):
    try:
        machine.freq(CPU_HZ)
    except ValueError:
        pass
    return hal_mcu.McuHal(cfg, board)


def button_held(board):
    return hal_mcu.button_held(board)
