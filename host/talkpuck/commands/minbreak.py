"""minbreak — the room's minimum break, one setting on the host, pushed to the room's pucks.

`PUT /api/rooms/<room>/min_break` stores it and sends `cmd/config {"min_break_s": ...}` to every puck of
the room; a puck that comes online gets its room's value too, and so does a puck whose room changes (its
info names another room, or a host moves it: PUT /api/devices/<id>/room), so the puck's break fill and the
host's "short break" flag always use the same number.
"""
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from talkpuck.commands.sender import Commander
    from talkpuck.store import Store


def push_min_break(store: "Store", commander: "Commander", device: str, room: str | None = None) -> str:
    """Send `device` its room's minimum break (`room`: already looked up); returns the command id."""
    if room is None:
        room = store.room_of(device)
    return commander.send(device, "config", {"min_break_s": store.room_min_break_s(room)})


def push_room(store: "Store", commander: "Commander", room: str) -> list[str]:
    """Send every puck of `room` the room's minimum break; returns [command id]."""
    ids = []
    for d in store.devices():
        if d["room"] == room:
            ids.append(push_min_break(store, commander, d["id"]))
    return ids


class RoomBreaks:
    """Keeps every puck on its room's minimum break (HostApp's ingest hooks). A puck's first `online` comes
    before its first info, while the host may not know its room yet: the info that names the room sends
    that room's value if it differs from the one sent. Memory: one room name per puck the host has seen."""

    def __init__(self, store: "Store", commander: "Commander") -> None:
        self.store, self.commander = store, commander
        self._sent: dict[str, str] = {}                # device -> the room whose break it was last sent

    def online(self, device: str) -> None:
        self._push(device, self.store.room_of(device))

    def room_may_have_changed(self, device: str) -> None:
        room = self.store.room_of(device)
        if self._sent.get(device) != room:
            self._push(device, room)

    def _push(self, device: str, room: str) -> None:
        self._sent[device] = room
        push_min_break(self.store, self.commander, device, room)
