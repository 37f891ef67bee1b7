"""clock — maps a puck's (boot, ms) to host wall-clock time, wrap-safe (protocol §7).

The anchor is the host's wall time when it received `info`, paired with `info.ms`; an event's wall
time is the anchor plus the signed difference of the two puck times on a 2**30 ms circle.
"""
from puckcore.ticks import ticks_diff  # the firmware's own wrap-safe arithmetic (2**30 ms on CPython)

__all__ = ["ticks_diff", "to_wall"]


def to_wall(anchor: tuple[int, int], dev_ms: int) -> int:
    """Wall ms of puck time `dev_ms` given anchor (wall_ms, dev_ms)."""
    return anchor[0] + ticks_diff(dev_ms, anchor[1])
