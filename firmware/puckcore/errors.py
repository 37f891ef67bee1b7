"""errors — the one exception family of talkpuck, shared by the firmware core and the host."""


class TalkpuckError(Exception):
    pass


class ProtocolError(TalkpuckError):
    """A message that breaks docs/protocol.md: the text names the topic or field."""


class ConfigError(TalkpuckError):
    """A setting that is missing, of the wrong type or out of range: the text names the key."""
