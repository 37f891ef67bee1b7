"""errors — talkpuck's exception family: the firmware core's types plus the host's own, chosen by type, never by text.

    TalkpuckError        the user's problem to fix; the CLI prints it, the API answers 400
      ProtocolError      a message or command that breaks docs/protocol.md (API: 422)
      ConfigError        a setting or argument missing, mistyped or out of range (API: 422)
      NotFound           a named thing (hand, session, device, command) that does not exist (API: 404)
      ListenError        the host cannot listen on its HTTP address (`serve` then tries a free port)
      StoreUnavailable   the store cannot write now (disk full, read-only, database gone): ingest raises
                         it so the MQTT link leaves the message unacknowledged and retries it
"""
from puckcore.errors import ConfigError, ProtocolError, TalkpuckError


class NotFound(TalkpuckError):
    """The thing asked for does not exist; the text names it."""


class ListenError(TalkpuckError):
    """A server socket cannot be bound (the port is taken or not allowed); the text names the address."""


class StoreUnavailable(TalkpuckError):
    """The store could not write a message (a fault of the host, not of the message): not acknowledged."""

    done: int = 0       # of a batch (Ingest.handle_batch): how many leading messages were stored before it


__all__ = ["TalkpuckError", "ProtocolError", "ConfigError", "NotFound", "ListenError", "StoreUnavailable"]
