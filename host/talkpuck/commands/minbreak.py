"""minbreak — the room's minimum break, one setting on the host, pushed to the room's pucks.

`PUT /api/rooms/<room>/min_break` stores it and sends `cmd/config {"min_break_s": ...}` to every puck of
the room; a puck that comes online gets its room's value too (HostApp._on_puck_online), so the puck's
break fill and the host's "short break" flag always use the same number.
"""


def push_min_break(store, commander, device):
    """Send `device` its room's minimum break; returns the command id."""
    room = store.room_of(device)
    return commander.send(device, "config", {"min_break_s": store.room_min_break_s(room)})


def push_room(store, commander, room):
    """Send every puck of `room` the room's minimum break; returns [command id]."""
    ids = []
    for d in store.devices():
        if d["room"] == room:
            ids.append(push_min_break(store, commander, d["id"]))
    return ids
