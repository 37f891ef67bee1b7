"""rooms — what a logged-in user may see: an admin every room, a host only the rooms assigned to them."""
from typing import Any

from talkpuck.errors import NotFound

User = dict[str, Any]     # a logged-in user (name, role, rooms) as the guard sets it; None: nobody


def can_see(user: User | None, room: str | None) -> bool:
    return user is not None and (user["role"] == "admin" or room in user["rooms"])


def need_room(user: User | None, room: str, what: str = "room") -> None:
    """Refuse a room the user may not see with the same 404 as a missing one (no existence oracle)."""
    if not can_see(user, room):
        raise NotFound("no such %s %r" % (what, room))


def need_admin(user: User | None) -> None:
    if user is None or user["role"] != "admin":
        raise NotFound("not found")
