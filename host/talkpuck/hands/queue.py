"""queue — the room's hand-raise queue: ordered by raise time, with wait times; ack, lower, clear, add remote.

Several pucks may share a room, so the queue is per room, not per puck. Acting on a puck's hand
updates the store at once (the live view shows it) and sends the command to the puck that raised
it; the puck's `evt/hand` confirms it later. Remote participants have no puck: only the store changes.
"""
import builtins
import time
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from talkpuck.errors import NotFound, TalkpuckError

if TYPE_CHECKING:
    from talkpuck.commands.sender import Commander
    from talkpuck.store import Store


def _now_ms() -> int:
    return int(time.time() * 1000)


def _iso(ms: int | None) -> str | None:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000.0)) + ".%03dZ" % (ms % 1000) if ms else None


class HandQueue:
    recent_s = 600          # resolved hands stay listed (greyed) this long

    def __init__(self, store: "Store", commander: "Commander", clock: Callable[[], int] = _now_ms) -> None:
        self.store = store
        self.commander = commander
        self.clock = clock

    def list(self, room: str | None = None, include_recent: bool = True,
             rooms: Collection[str] | None = None) -> builtins.list[dict[str, Any]]:
        """The queue (waiting, then with include_recent the recently resolved); `rooms`: only those rooms."""
        now = self.clock()
        rows = self.store.hands(room, since_ms=now - self.recent_s * 1000 if include_recent else None, rooms=rooms)
        out = []
        position = 0
        for r in rows:
            end = r["acked_ms"] or r["lowered_ms"] or now
            waiting = r["state"] == "waiting"
            if waiting:
                position += 1
            out.append({
                "id": r["id"], "room": r["room"], "source": r["source"], "name": r["name"],
                "device": r["device"], "boot": r["boot"], "hand": r["hand"], "session": r["session_id"],
                "state": r["state"], "position": position if waiting else None,
                "raised_ms": r["raised_ms"], "raised_at": _iso(r["raised_ms"]),
                "acked_ms": r["acked_ms"], "lowered_ms": r["lowered_ms"],
                "wait_s": round(max(0, end - r["raised_ms"]) / 1000.0, 1),
                "puck_confirmed": bool(r["puck_confirmed"]),
            })
        return out

    def _find(self, hand_id: int | None = None, device: str | None = None, boot: str | None = None,
              hand: int | None = None) -> dict[str, Any]:
        row = self.store.find_hand(hand_id, device, boot, hand)
        if row is None:
            what = "hand %s" % hand_id if hand_id is not None else "hand %s/%s/%s" % (device, boot, hand)
            raise NotFound("no such %s in the queue" % what)
        return row

    def acknowledge(self, hand_id: int | None = None, device: str | None = None, boot: str | None = None,
                    hand: int | None = None) -> str | None:
        """Mark acked and send cmd/hand_ack to the puck that raised it (none for a remote participant)."""
        row = self._find(hand_id, device, boot, hand)
        self.store.set_hand_state(row["id"], "acked", self.clock())
        if row["source"] == "puck":
            return self.commander.send(row["device"], "hand_ack", {"hand": row["hand"]})
        return None

    def lower(self, hand_id: int | None = None, device: str | None = None, boot: str | None = None,
              hand: int | None = None) -> str | None:
        row = self._find(hand_id, device, boot, hand)
        self.store.set_hand_state(row["id"], "lowered", self.clock())
        if row["source"] == "puck":
            return self.commander.send(row["device"], "hand_lower", {"hand": row["hand"]})
        return None

    def clear(self, room: str) -> int:
        """Clear a room's waiting hands; each puck with hands in it gets cmd/hands_clear."""
        rows = self.store.clear_hands(room, self.clock())
        for device in sorted({r["device"] for r in rows if r["source"] == "puck"}):
            self.commander.send(device, "hands_clear")
        return len(rows)

    def add_remote(self, room: str, name: str | None) -> int:
        """Add a person without a puck (on the call) to the room's queue; returns the hand's id."""
        name = (name or "").strip()
        if not name or len(name) > 80:
            raise TalkpuckError("name: give 1-80 characters for the remote participant")
        return self.store.add_remote_hand(room, name, self.clock())
