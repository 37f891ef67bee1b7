"""sender — builds a command envelope (id, ts, ttl_s), checks it against its schema, records and publishes it.

Publishing goes through a `publish(topic, payload_bytes)` callable, so this module knows neither
paho nor SQL beyond the Store's methods. `wait_response(id)` lets a caller (the CLI) wait for the
puck's `resp`.

Commands are never retained: Mosquitto's ACL cannot see the retain flag, and a retained command
would be obeyed by every puck connecting later. The host's one MQTT client (mqtt/link.py) refuses
a retained publish on a cmd topic (`check_not_retained`), and `RetainedCommands` clears any retained
command the host finds under talkpuck/v1/+/cmd/# (an empty retained payload) and counts it.
"""
import logging
import json
import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from puckcore.protocol import ROOT
from talkpuck.errors import TalkpuckError
from talkpuck.protocol import check_command, command_topic

if TYPE_CHECKING:
    from talkpuck.store import Store

log = logging.getLogger(__name__)
_ROOT_PARTS = ROOT.split("/")


def is_command_topic(topic: str) -> bool:
    """True for talkpuck/v1/<anything>/cmd/...: the topics only the host may publish, never retained."""
    if "/cmd" not in topic:          # every message goes through here: most without a split
        return False
    parts = topic.split("/")
    return len(parts) >= 4 and parts[:2] == _ROOT_PARTS and parts[3] == "cmd"


def check_not_retained(topic: str, payload: bytes | bytearray | str | None, retain: bool) -> None:
    """TalkpuckError for a retained command; an empty retained payload (clearing one) is allowed."""
    if retain and payload and is_command_topic(topic):
        raise TalkpuckError("refused: a retained command on %s (commands are never retained)" % topic)


class RetainedCommands:
    """Clears retained commands the broker hands the host: `handle()` is True for any command topic
    (consumed: ingest never sees commands); a retained one with a payload is cleared with an empty
    retained publish through `publish_retained(topic, b"")`, counted in `cleared`, logged once per topic."""

    def __init__(self, publish_retained: Callable[[str, bytes], object]) -> None:
        self.publish_retained = publish_retained
        self.cleared = 0

    def handle(self, topic: str, payload: bytes | bytearray | str | None, retained: bool) -> bool:
        if not is_command_topic(topic):
            return False
        if retained and payload:
            self.cleared += 1
            log.warning("retained command on %s cleared (%d so far): someone with publish rights left it",
                        topic[:200], self.cleared)
            try:
                self.publish_retained(topic, b"")
            except Exception:
                log.exception("cannot clear the retained command on %s", topic[:200])
        return True


class Commander:
    default_ttl_s = 30

    def __init__(self, store: "Store", publish: Callable[[str, bytes], object],
                 clock: Callable[[], int] = lambda: int(time.time() * 1000)) -> None:
        self.store = store
        self.publish = publish
        self.clock = clock
        self._prefix = "h%s" % os.urandom(3).hex()   # ids unique per host run, short on the wire
        self._n = 0
        self._lock = threading.Lock()
        self._responses: dict[str, dict[str, Any]] = {}
        self._cond = threading.Condition()

    def new_id(self) -> str:
        with self._lock:
            self._n += 1
            return "%s-%d" % (self._prefix, self._n)

    def send(self, device: str, verb: str, args: dict[str, Any] | None = None, ttl_s: int | None = None) -> str:
        """Publish cmd/<verb> to `device` ("all" for every puck); returns the command id.

        Raises ProtocolError (naming the field) when the command would break the protocol.
        """
        ttl_s = self.default_ttl_s if ttl_s is None else int(ttl_s)
        topic = command_topic(device, verb)
        cmd_id = self.new_id()
        now = self.clock()
        payload: dict[str, Any] = {"id": cmd_id, "ts": now, "ttl_s": ttl_s}
        payload.update(args or {})
        check_command(verb, payload, topic)
        self.store.record_command(cmd_id, device, verb, args or {}, now, ttl_s)
        self.publish(topic, json.dumps(payload, separators=(",", ":")).encode())
        return cmd_id

    def send_time(self, device: str) -> str:
        return self.send(device, "time", {"now_ms": self.clock()})

    def on_response(self, device: str, payload: dict[str, Any]) -> None:
        with self._cond:
            self._responses[payload["id"]] = dict(payload, device=device)
            self._cond.notify_all()

    def wait_response(self, cmd_id: str, timeout_s: float = 5.0) -> dict[str, Any] | None:
        """The puck's `resp` payload for `cmd_id`, or None if none came in time."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while cmd_id not in self._responses:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)
            return self._responses[cmd_id]
