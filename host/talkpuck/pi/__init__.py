"""pi — a Raspberry Pi puck: the firmware core under CPython on the Pi's own HAL (firmware/hal_pi.py)."""
