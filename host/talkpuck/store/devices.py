"""devices — devices, boots (clock anchors, previous boot's last seq) and rooms in the store."""
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from talkpuck.store import tables as t
from talkpuck.store.live import ids_param, stmt
from talkpuck.store.base import StoreParts

NO_ROOM = "unassigned"

# the statements of status/info/state/tele, built once (live.stmt): building and keying a statement per
# call cost more than running it (a thousand pucks' connection burst: bench/burst_ingest.py)
_D, _B = t.devices.c, t.boots.c


def _set_device(names: tuple[str, ...]) -> Any:
    """UPDATE devices SET <names> WHERE id = :d_id (parameters d_id, v_<name>)."""
    return stmt(("set_device",) + tuple(names), lambda: update(t.devices).where(_D.id == bindparam("d_id"))
                .values({n: bindparam("v_" + n) for n in names}))


def _set_boot(names: tuple[str, ...]) -> Any:
    """UPDATE boots SET <names> WHERE device = :d_id AND boot = :b_id (parameters d_id, b_id, v_<name>)."""
    return stmt(("set_boot",) + tuple(names), lambda: update(t.boots).where(
        _B.device == bindparam("d_id"), _B.boot == bindparam("b_id")).values({n: bindparam("v_" + n) for n in names}))


def _params(device: str, values: dict[str, Any], boot: str | None = None) -> dict[str, Any]:
    out = {"v_" + k: v for k, v in values.items()}
    out["d_id"] = device
    if boot is not None:
        out["b_id"] = boot
    return out


class DevicesMixin(StoreParts):
    def _ensure_device(self, c: Connection, device: str, now: int) -> None:
        row = c.execute(stmt("device_exists", lambda: select(_D.id).where(_D.id == bindparam("d_id"))),
                        {"d_id": device}).first()
        if row is None:
            c.execute(stmt("device_insert", lambda: t.devices.insert()),
                      dict(id=device, online=False, first_seen_ms=now, last_seen_ms=now))
        else:
            c.execute(_set_device(("last_seen_ms",)), {"d_id": device, "v_last_seen_ms": now})

    def _touch(self, c: Connection, device: str, now: int, known: set[str] | None, **values: Any) -> None:
        """_ensure_device, then `values` on the device's row; a device in `known` (ensured earlier in this
        transaction) takes one UPDATE for both. The row ends the same either way."""
        if known is not None and device in known:
            values = dict(values, last_seen_ms=now)
        else:
            self._ensure_device(c, device, now)
            if known is not None:
                known.add(device)
        c.execute(_set_device(tuple(values)), _params(device, values))

    def record_status(self, device: str, online: bool, now: int) -> None:
        with self.lock, self.engine.begin() as c:
            self._status(c, device, online, now)

    def _status(self, c: Connection, device: str, online: bool, now: int, known: set[str] | None = None) -> None:
        self._touch(c, device, now, known, online=bool(online))

    def record_info(self, device: str, info: dict[str, Any], now: int, anchor: tuple[int, int] | None = None) -> None:
        """Store a puck's info; `anchor` (wall_ms, dev_ms) refreshes this boot's clock anchor."""
        with self.lock, self.engine.begin() as c:
            self._info(c, device, info, now, anchor)

    def _info(self, c: Connection, device: str, info: dict[str, Any], now: int, anchor: tuple[int, int] | None = None,
              known: set[str] | None = None) -> None:
        boot = info["boot"]
        self._touch(c, device, now, known,
                    room_reported=info.get("room"), fw=info.get("fw"), board=info.get("board"),
                    leds=info.get("leds"), caps=json.dumps(info.get("caps", [])), boot=boot)
        self._ensure_boot(c, device, boot, now)
        vals = {"prev_boot": info.get("prev_boot"), "prev_seq": info.get("prev_seq")}
        if anchor is not None:
            vals.update(anchor_wall_ms=anchor[0], anchor_dev_ms=anchor[1])
        c.execute(_set_boot(tuple(vals)), _params(device, vals, boot))
        prev, prev_seq = info.get("prev_boot"), info.get("prev_seq") or 0
        if prev and prev_seq:
            # only for a boot this host has seen: an unknown earlier boot is not "lost" here
            c.execute(_set_boot(("last_seq_reported",)), _params(device, {"last_seq_reported": prev_seq}, prev))

    def record_many(self, items: Sequence[tuple[Any, ...]]) -> None:
        """Store several status/info/state/tele messages, in order, in ONE transaction (ingest's burst of
        non-event messages: every puck's status, info, state and tele when a thousand connect at once).
        Each item is (kind, device, value, now[, anchor]) with kind "status" (value: online), "info"
        (value: the info, anchor as record_info's), "state" or "tele" (value: the payload): the rows end
        as the record_* calls one by one leave them. Nothing is written if the transaction fails."""
        if not items:
            return
        known: set[str] = set()
        with self.lock, self.engine.begin() as c:
            for it in items:
                kind, device, value, now = it[0], it[1], it[2], it[3]
                if kind == "status":
                    self._status(c, device, value, now, known)
                elif kind == "info":
                    self._info(c, device, value, now, it[4] if len(it) > 4 else None, known)
                elif kind == "state":
                    self._state(c, device, value, now, known)
                elif kind == "tele":
                    self._tele(c, device, value, now, known)
                else:
                    raise ValueError("record_many: unknown kind %r" % (kind,))

    def _ensure_boot(self, c: Connection, device: str, boot: str, now: int) -> None:
        row = c.execute(stmt("boot_exists", lambda: select(_B.boot).where(_B.device == bindparam("d_id"),
                                                                         _B.boot == bindparam("b_id"))),
                        {"d_id": device, "b_id": boot}).first()
        if row is None:
            c.execute(stmt("boot_insert", lambda: t.boots.insert()), dict(device=device, boot=boot, first_seen_ms=now))

    def anchor(self, device: str, boot: str) -> tuple[int, int] | None:
        """(wall_ms, dev_ms) of this boot's clock anchor, or None."""
        with self.engine.connect() as c:
            row = c.execute(select(t.boots.c.anchor_wall_ms, t.boots.c.anchor_dev_ms)
                            .where(t.boots.c.device == device, t.boots.c.boot == boot)).first()
        if row is None or row[0] is None:
            return None
        return int(row[0]), int(row[1])

    def record_state(self, device: str, state: dict[str, Any], now: int) -> None:
        with self.lock, self.engine.begin() as c:
            self._state(c, device, state, now)

    def _state(self, c: Connection, device: str, state: dict[str, Any], now: int, known: set[str] | None = None) -> None:
        self._touch(c, device, now, known, state=json.dumps(state), state_ms=now)

    def record_tele(self, device: str, tele: dict[str, Any], now: int) -> None:
        with self.lock, self.engine.begin() as c:
            self._tele(c, device, tele, now)

    def _tele(self, c: Connection, device: str, tele: dict[str, Any], now: int, known: set[str] | None = None) -> None:
        self._touch(c, device, now, known, tele=json.dumps(tele), tele_ms=now)

    # -- rooms ------------------------------------------------------------------------------------
    def set_room(self, device: str, room: str | None, now: int) -> None:
        """Host override of a device's room (None clears it)."""
        with self.lock, self.engine.begin() as c:
            self._ensure_device(c, device, now)
            c.execute(update(t.devices).where(t.devices.c.id == device).values(room_override=room or None))

    def room_of(self, device: str, conn: Connection | None = None) -> str:
        def q(c: Connection) -> str:
            row = c.execute(stmt("room_of", lambda: select(_D.room_override, _D.room_reported)
                                 .where(_D.id == bindparam("d_id"))), {"d_id": device}).first()
            return (row and (row[0] or row[1])) or NO_ROOM
        if conn is not None:
            return q(conn)
        with self.engine.connect() as c:
            return q(c)

    def set_min_break(self, room: str, min_break_s: int) -> None:
        with self.lock, self.engine.begin() as c:
            if c.execute(select(t.rooms.c.name).where(t.rooms.c.name == room)).first() is None:
                c.execute(t.rooms.insert().values(name=room, min_break_s=min_break_s))
            else:
                c.execute(update(t.rooms).where(t.rooms.c.name == room).values(min_break_s=min_break_s))

    def min_break_s(self, room: str, conn: Connection) -> int:
        v = conn.execute(stmt("room_min_break", lambda: select(t.rooms.c.min_break_s)
                              .where(t.rooms.c.name == bindparam("r_name"))), {"r_name": room}).scalar()
        return self.default_min_break_s if v is None else int(v)

    def devices(self, ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Every device (with `ids`: those), by id, with its room, state and tele decoded."""
        q = select(t.devices).order_by(t.devices.c.id)
        with self.engine.connect() as c:
            if ids is None:
                rows = c.execute(q).mappings().all()
            else:
                ids = sorted(ids)
                qi = stmt("devices_ids", lambda: q.where(t.devices.c.id.in_(ids_param())))
                rows = [r for i in range(0, len(ids), 500)
                        for r in c.execute(qi, {"ids": ids[i:i + 500]}).mappings().all()]
        out = []
        for r in rows:
            d = dict(r)
            d["room"] = d["room_override"] or d["room_reported"] or NO_ROOM
            d["caps"] = json.loads(d["caps"]) if d["caps"] else []
            d["state"] = json.loads(d["state"]) if d["state"] else None
            d["tele"] = json.loads(d["tele"]) if d["tele"] else None
            out.append(d)
        return out

    def device_rooms(self, ids: Iterable[str] | None = None) -> dict[str, str]:
        """{device: its room} for every device (with `ids`: those that exist): one light query (the live
        hub's way to see a device move)."""
        d = t.devices.c
        q = select(d.id, d.room_override, d.room_reported)
        with self.engine.connect() as c:
            if ids is None:
                rows = c.execute(q)
            else:
                ids = sorted(ids)
                qi = stmt("device_rooms_ids", lambda: q.where(d.id.in_(ids_param())))
                rows = [r for i in range(0, len(ids), 500) for r in c.execute(qi, {"ids": ids[i:i + 500]})]
            return {i: o or r or NO_ROOM for i, o, r in rows}

    def device(self, device: str) -> dict[str, Any] | None:
        for d in self.devices():
            if d["id"] == device:
                return d
        return None

    # -- for the rooms and live pages (talkpuck.live.snapshot) ------------------------------------
    def room_min_break_s(self, room: str) -> int:
        """The room's minimum break (seconds): the host's one setting, pushed to the room's pucks."""
        with self.engine.connect() as c:
            return self.min_break_s(room, c)

    def last_ended_ms(self, room: str) -> int | None:
        """When the room's last session ended (wall ms), or None."""
        s = t.sessions.c
        with self.engine.connect() as c:
            v = c.execute(select(s.ended_ms).where(s.room == room, s.ended_ms.is_not(None))
                          .order_by(s.ended_ms.desc()).limit(1)).scalar()
        return int(v) if v is not None else None
