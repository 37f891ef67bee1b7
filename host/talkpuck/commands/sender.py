"""sender — builds a command envelope (id, ts, ttl_s), checks it against its schema, records and publishes it.

Publishing goes through a `publish(topic, payload_bytes)` callable, so this module knows neither
paho nor SQL beyond the Store's methods. `wait_response(id)` lets a caller (the CLI) wait for the
puck's `resp`.
"""
import json
import os
import threading
import time

from talkpuck.protocol import check_command, command_topic


class Commander:
    default_ttl_s = 30

    def __init__(self, store, publish, clock=lambda: int(time.time() * 1000)):
        self.store = store
        self.publish = publish
        self.clock = clock
        self._prefix = "h%s" % os.urandom(3).hex()   # ids unique per host run, short on the wire
        self._n = 0
        self._lock = threading.Lock()
        self._responses = {}
        self._cond = threading.Condition()

    def new_id(self):
        with self._lock:
            self._n += 1
            return "%s-%d" % (self._prefix, self._n)

    def send(self, device, verb, args=None, ttl_s=None):
        """Publish cmd/<verb> to `device` ("all" for every puck); returns the command id.

        Raises ProtocolError (naming the field) when the command would break the protocol.
        """
        ttl_s = self.default_ttl_s if ttl_s is None else int(ttl_s)
        topic = command_topic(device, verb)
        cmd_id = self.new_id()
        now = self.clock()
        payload = {"id": cmd_id, "ts": now, "ttl_s": ttl_s}
        payload.update(args or {})
        check_command(verb, payload, topic)
        self.store.record_command(cmd_id, device, verb, args or {}, now, ttl_s)
        self.publish(topic, json.dumps(payload, separators=(",", ":")).encode())
        return cmd_id

    def send_time(self, device):
        return self.send(device, "time", {"now_ms": self.clock()})

    def on_response(self, device, payload):
        with self._cond:
            self._responses[payload["id"]] = dict(payload, device=device)
            self._cond.notify_all()

    def wait_response(self, cmd_id, timeout_s=5.0):
        """The puck's `resp` payload for `cmd_id`, or None if none came in time."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while cmd_id not in self._responses:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)
            return self._responses[cmd_id]
