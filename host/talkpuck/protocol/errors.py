"""errors — ProtocolError with a short machine `reason` the ingest counts rejections by."""
from talkpuck.errors import ProtocolError


class MessageRejected(ProtocolError):
    """A device message that breaks the protocol; `reason` is a short key (`not_json`, `schema`, ...)."""

    def __init__(self, reason, text, topic=None):
        ProtocolError.__init__(self, "%s: %s" % (topic, text) if topic else text)
        self.reason = reason
        self.topic = topic
