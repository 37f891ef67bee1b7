"""sessions — the host's session controls: start (with limit, warning, purpose), extend, end.

Starting records the session as `requested` under a host id and sends cmd/session_start; the
session's times come from the puck's phase events, because the puck owns the clock.
"""
import os
import time
from typing import TYPE_CHECKING, Any

from talkpuck.errors import ConfigError

if TYPE_CHECKING:
    from talkpuck.commands.sender import Commander
    from talkpuck.store import Store


def new_session_id() -> str:
    return "s-%s-%s" % (time.strftime("%Y%m%d-%H%M%S", time.gmtime()), os.urandom(2).hex())


class SessionControl:
    def __init__(self, store: "Store", commander: "Commander") -> None:
        self.store = store
        self.commander = commander

    def start(self, device: str, limit_s: int, warn_s: int | None = None, purpose: str | None = None,
              ttl_s: int | None = None) -> str:
        """Request a session on `device`; returns the host's session id."""
        return self.request(device, limit_s, warn_s, purpose, ttl_s)[0]

    def request(self, device: str, limit_s: int, warn_s: int | None = None, purpose: str | None = None,
                ttl_s: int | None = None) -> tuple[str, str]:
        """Like start(); returns (session id, id of the session_start command) for callers that wait on it."""
        limit_s = int(limit_s)
        if limit_s < 1:
            raise ConfigError("limit_s must be at least 1 second, got %r" % limit_s)
        if warn_s is not None and (int(warn_s) < 0 or int(warn_s) > limit_s):
            raise ConfigError("warn_s must be between 0 and limit_s (%d), got %r" % (limit_s, warn_s))
        sid = new_session_id()
        args: dict[str, Any] = {"session": sid, "limit_s": limit_s}
        if warn_s is not None:
            args["warn_s"] = int(warn_s)
        # the purpose is kept in the host's session row only: the puck has no use for it (docs/privacy.md)
        purpose = str(purpose)[:200] if purpose else None
        self.store.request_session(sid, device, limit_s, args.get("warn_s"), purpose, self.commander.clock())
        cmd_id = self.commander.send(device, "session_start", args, ttl_s)
        return sid, cmd_id

    def extend(self, device: str, add_s: int, ttl_s: int | None = None) -> str:
        return self.commander.send(device, "session_extend", {"add_s": int(add_s)}, ttl_s)

    def end(self, device: str, ttl_s: int | None = None) -> str:
        return self.commander.send(device, "session_stop", None, ttl_s)
