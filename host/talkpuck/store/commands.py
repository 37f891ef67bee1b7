"""commands — the record of commands sent to pucks and the responses matched to them by id."""
import json
import time
from typing import Any

from sqlalchemy import select, update

from talkpuck.store import tables as t
from talkpuck.store.live import stmt
from talkpuck.store.base import StoreParts


class CommandsMixin(StoreParts):
    def record_command(self, cmd_id: str, device: str, verb: str, args: dict[str, Any], ts_ms: int, ttl_s: int) -> None:
        """Record a command as sent; it belongs to the session it starts, else to the device's running
        session (and is deleted with it, store.retention)."""
        with self.lock, self.engine.begin() as c:
            sid = args.get("session") if verb == "session_start" else self._current_session(c, device)
            c.execute(stmt("command_insert", lambda: t.commands.insert()),   # built once
                      dict(id=cmd_id, device=device, verb=verb, args=json.dumps(args), ts_ms=ts_ms, ttl_s=ttl_s,
                           state="sent", session_id=sid))

    def record_response(self, cmd_id: str, ok: bool, error: str | None, now: int) -> bool:
        """Match a `resp` to its command; returns False for an id this host never sent."""
        with self.lock, self.engine.begin() as c:
            res = c.execute(update(t.commands).where(t.commands.c.id == cmd_id).values(
                state="ok" if ok else "error", error=error, resp_ms=now))
            return res.rowcount > 0

    def command(self, cmd_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as c:
            r = c.execute(select(t.commands).where(t.commands.c.id == cmd_id)).mappings().first()
        return dict(r, args=json.loads(r["args"])) if r else None

    def commands(self, device: str | None = None, limit: int = 100, now_ms: int | None = None) -> list[dict[str, Any]]:
        """Newest first; a command still `sent` after its ttl shows as `no_response` (the puck drops it)."""
        q = select(t.commands).order_by(t.commands.c.ts_ms.desc())
        if device:
            q = q.where(t.commands.c.device == device)
        now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
        with self.engine.connect() as c:
            rows = [dict(r, args=json.loads(r["args"])) for r in c.execute(q.limit(limit)).mappings()]
        for r in rows:
            if r["state"] == "sent" and r["ts_ms"] + r["ttl_s"] * 1000 < now_ms:
                r["state"] = "no_response"
        return rows
