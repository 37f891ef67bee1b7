"""clock — maps a puck's (boot, ms) to host wall-clock time, wrap-safe (protocol §7).

The anchor is the host's wall time when it received `info`, paired with `info.ms`; an event's wall
time is the anchor plus the signed difference of the two puck times on a 2**30 ms circle.
"""
PERIOD_MS = 1 << 30
_HALF = PERIOD_MS >> 1
_MASK = PERIOD_MS - 1


def ticks_diff(a, b):
    """a - b on the device's 2**30 ms clock, in (-2**29, 2**29]."""
    return ((a - b + _HALF) & _MASK) - _HALF


def to_wall(anchor, dev_ms):
    """Wall ms of puck time `dev_ms` given anchor (wall_ms, dev_ms)."""
    return anchor[0] + ticks_diff(dev_ms, anchor[1])
