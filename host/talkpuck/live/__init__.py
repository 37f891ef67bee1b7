"""live — what the rooms and live pages show, pushed as it changes: the snapshot, the ring mirror, the hub."""
from talkpuck.live.hub import LiveHub
from talkpuck.live.mirror import ring_svg, view_from_state

__all__ = ["LiveHub", "ring_svg", "view_from_state"]
