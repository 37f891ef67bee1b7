"""hands — the hand-raise queue rows: puck raises (from evt/hand) and remote participants added by a host.

A hand's id on the host is (device, boot, hand) for a puck hand and the row id for every hand.
States: waiting -> acked | lowered | withdrawn | cleared. The puck's `ack` event confirms a host
acknowledgement (or records one made elsewhere).

A puck keeps its waiting hands across a reboot, under the numbers they were raised with (their
earlier boot's seqs). So an `ack`/`lower`/`withdraw` from this boot about a number this boot never
raised is matched to that device's hand of an earlier boot (the newest one with that number still
open), and a `clear` clears every waiting hand of the device, whatever boot raised it.
"""
from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, or_, select, update

from talkpuck.store import tables as t
from talkpuck.store.devices import NO_ROOM
from talkpuck.store.live import ids_param, stmt
from talkpuck.store.base import StoreParts

DONE = ("acked", "lowered", "withdrawn", "cleared")


class HandsMixin(StoreParts):
    def _apply_hand(self, c: Connection, device: str, boot: str, seq: int, wall_ms: int, p: dict[str, Any],
                    times: dict[str, int]) -> None:
        h = t.hands.c
        action, hand = p["action"], p["hand"]
        key: tuple[Any, ...] = (h.device == device, h.boot == boot, h.hand == hand)
        if action in ("ack", "lower", "withdraw") and c.execute(select(h.id).where(*key)).first() is None:
            earlier = self._earlier_boot_hand(c, device, boot, hand, action)
            if earlier is not None:
                key = (h.id == earlier,)
        if action == "raise":
            if c.execute(select(h.id).where(*key)).first() is None:
                c.execute(t.hands.insert().values(
                    room=self.room_of(device, c), source="puck", device=device, boot=boot, hand=hand,
                    session_id=self._current_session(c, device), state="waiting", raised_ms=wall_ms,
                    puck_confirmed=True))
        elif action == "ack":
            row = c.execute(select(h.state, h.acked_ms).where(*key)).first()
            vals: dict[str, Any] = {"puck_confirmed": True}
            if row is not None and row[0] == "waiting":
                vals.update(state="acked")
            if row is not None and row[1] is None:
                vals["acked_ms"] = wall_ms
            c.execute(update(t.hands).where(*key).values(**vals))
        elif action in ("lower", "withdraw"):
            state = "lowered" if action == "lower" else "withdrawn"
            c.execute(update(t.hands).where(*key, h.state == "waiting").values(state=state, lowered_ms=wall_ms))
        elif action == "clear":   # the puck holds no hand now, of this boot or one it kept from before
            c.execute(update(t.hands).where(h.device == device, h.state == "waiting")
                      .values(state="cleared", lowered_ms=wall_ms))

    def _earlier_boot_hand(self, c: Connection, device: str, boot: str, hand: int, action: str) -> int | None:
        """The id of the device's hand `hand` kept from an earlier boot and still open, or None."""
        h = t.hands.c
        open_ = h.state == "waiting"
        if action == "ack":   # the host acknowledged it already; the puck confirms now
            open_ = or_(open_, and_(h.state == "acked", h.puck_confirmed.is_(False)))
        return c.execute(select(h.id).where(h.device == device, h.boot != boot, h.hand == hand, open_)
                         .order_by(h.raised_ms.desc()).limit(1)).scalar()

    # -- host actions -----------------------------------------------------------------------------
    def add_remote_hand(self, room: str, name: str, now: int) -> int:
        """A person on the call without a puck raises a hand (added from the live view)."""
        with self.lock, self.engine.begin() as c:
            sid = c.execute(select(t.sessions.c.id).where(
                t.sessions.c.room == room, t.sessions.c.started_ms.is_not(None),
                t.sessions.c.ended_ms.is_(None)).order_by(t.sessions.c.started_ms.desc()).limit(1)).scalar()
            res = c.execute(t.hands.insert().values(room=room, source="host", name=name, session_id=sid,
                                                    state="waiting", raised_ms=now, puck_confirmed=False))
            return int(res.inserted_primary_key[0])

    def find_hand(self, hand_id: int | None = None, device: str | None = None, boot: str | None = None,
                  hand: int | None = None) -> dict[str, Any] | None:
        h = t.hands.c
        q = select(t.hands)
        q = q.where(h.id == hand_id) if hand_id is not None else q.where(h.device == device, h.boot == boot, h.hand == hand)
        with self.engine.connect() as c:
            r = c.execute(q).mappings().first()
        return dict(r) if r else None

    def set_hand_state(self, hand_id: int, state: str, now: int) -> dict[str, Any] | None:
        """Host-side ack/lower of one hand; returns the row before the change, or None."""
        h = t.hands.c
        with self.lock, self.engine.begin() as c:
            row = c.execute(select(t.hands).where(h.id == hand_id)).mappings().first()
            if row is None:
                return None
            vals: dict[str, Any] = {"state": state}
            vals["acked_ms" if state == "acked" else "lowered_ms"] = now
            c.execute(update(t.hands).where(h.id == hand_id, h.state == "waiting").values(**vals))
            return dict(row)

    def clear_hands(self, room: str, now: int) -> list[dict[str, Any]]:
        """Clear every waiting hand of a room; returns the rows cleared."""
        h = t.hands.c
        with self.lock, self.engine.begin() as c:
            rows = [dict(r) for r in c.execute(select(t.hands).where(h.room == room, h.state == "waiting")).mappings()]
            c.execute(update(t.hands).where(h.room == room, h.state == "waiting").values(state="cleared", lowered_ms=now))
        return rows

    def clear_left_open(self, device: str) -> int:
        """Clear the device's hands a previous run left waiting, as of when the device was last seen
        (so they do not show as just resolved). Returns how many."""
        h = t.hands.c
        with self.lock, self.engine.begin() as c:
            seen = c.execute(select(t.devices.c.last_seen_ms).where(t.devices.c.id == device)).scalar()
            res = c.execute(update(t.hands).where(h.device == device, h.state == "waiting").values(
                state="cleared", lowered_ms=func.coalesce(seen, h.raised_ms)))
            return int(res.rowcount or 0)

    def hands(self, room: str | None = None, since_ms: int | None = None,
              rooms: Collection[str] | None = None) -> list[dict[str, Any]]:
        """Waiting hands, and (with since_ms) hands resolved since then, ordered by raise time; `rooms`: only
        those rooms' (NO_ROOM there also takes the hands of no room)."""
        h = t.hands.c
        if room is None and since_ms is not None and rooms is not None:
            # the live hub's reading (many times a second): one statement built once
            q = stmt(("hands_rooms", NO_ROOM in rooms), lambda: select(t.hands).where(
                or_(h.state == "waiting", h.acked_ms >= bindparam("since"), h.lowered_ms >= bindparam("since")),
                or_(h.room.in_(ids_param()), h.room.is_(None)) if NO_ROOM in rooms else h.room.in_(ids_param()))
                .order_by(h.raised_ms, h.id))
            with self.engine.connect() as c:
                return [dict(r) for r in c.execute(q, {"since": since_ms, "ids": list(rooms)}).mappings()]
        cond = h.state == "waiting"
        if since_ms is not None:
            cond = or_(cond, h.acked_ms >= since_ms, h.lowered_ms >= since_ms)
        q = select(t.hands).where(cond).order_by(h.raised_ms, h.id)
        if room:
            q = q.where(h.room == room)
        if rooms is not None:
            q = q.where(or_(h.room.in_(list(rooms)), h.room.is_(None)) if NO_ROOM in rooms else h.room.in_(list(rooms)))
        with self.engine.connect() as c:
            return [dict(r) for r in c.execute(q).mappings()]
