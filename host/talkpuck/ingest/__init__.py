"""ingest — device messages in: the wall-clock mapping, and validate -> dedup -> store (the MQTT link is talkpuck.mqtt)."""
from talkpuck.ingest.clock import ticks_diff, to_wall
from talkpuck.ingest.ingest import SUBSCRIPTIONS, Ingest

__all__ = ["Ingest", "SUBSCRIPTIONS", "ticks_diff", "to_wall"]
