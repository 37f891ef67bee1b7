"""hands — the ordered hand-raise queue per room, with wait times, and the host's actions on it."""
from talkpuck.hands.queue import HandQueue

__all__ = ["HandQueue"]
