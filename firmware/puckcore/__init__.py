"""puckcore — the pure, portable firmware core of talkpuck.

Runs unchanged on MicroPython (the puck), CircuitPython and CPython (tests, simulator, a Raspberry
Pi puck). Nothing here imports hardware or network modules: pins, I2S, Wi-Fi and sockets live in the
HAL backends (`firmware/hal_<platform>.py`). See firmware/README.md.
"""
VERSION = "0.1.0"
