"""rooms — what a logged-in user may see: an admin every room, a host only the rooms assigned to them."""
from talkpuck.errors import NotFound


def can_see(user, room):
    return user is not None and (user["role"] == "admin" or room in user["rooms"])


def need_room(user, room, what="room"):
    """Refuse a room the user may not see with the same 404 as a missing one (no existence oracle)."""
    if not can_see(user, room):
        raise NotFound("no such %s %r" % (what, room))


def need_admin(user):
    if user is None or user["role"] != "admin":
        raise NotFound("not found")
