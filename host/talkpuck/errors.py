"""errors — re-exports the firmware core's exception family so host and puck raise the same types."""
from puckcore.errors import ConfigError, ProtocolError, TalkpuckError

__all__ = ["TalkpuckError", "ProtocolError", "ConfigError"]
