"""puckcore — the pure, portable firmware core of talkpuck.

Runs unchanged on MicroPython (the MCU pucks) and CPython (tests, simulator, the Raspberry Pi puck
through firmware/hal_pi.py). CircuitPython is not supported: no board runs or tests it. Nothing
here imports hardware or network modules: pins, I2S, Wi-Fi and sockets live in the HAL backends
(`firmware/hal_<platform>.py`). See firmware/README.md.
"""
VERSION = "0.1.0"
