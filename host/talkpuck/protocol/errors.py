"""errors — ProtocolError with a short machine `reason` the ingest counts rejections by."""
from typing import TypeVar

from talkpuck.errors import ProtocolError

_T = TypeVar("_T")

TOPIC_MAX = 120  # characters of a topic an error text keeps (a hostile topic can be 64 KB)
TEXT_MAX = 300   # characters of an error text (a log line stays one short line)


def shorten(text: _T, n: int) -> _T | str:
    """`text` cut to about `n` characters, saying how long it was."""
    if isinstance(text, str) and len(text) > n:
        return "%s...(%d chars)" % (text[:n], len(text))
    return text


class MessageRejected(ProtocolError):
    """A device message that breaks the protocol; `reason` is a short key (`not_json`, `schema`, ...).

    The text is bounded (TOPIC_MAX, TEXT_MAX) whatever the message held; `topic` keeps the full topic."""

    def __init__(self, reason: str, text: str, topic: str | None = None) -> None:
        short = shorten(topic, TOPIC_MAX) if isinstance(topic, str) else topic
        ProtocolError.__init__(self, shorten("%s: %s" % (short, text) if topic else text, TEXT_MAX))
        self.reason = reason
        self.topic = topic
