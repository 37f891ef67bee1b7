"""Stored sessions for the review tests, the screenshots and bench/review_bench.py: rows written straight
into the store's tables (what ingest would have written), from a seeded random conversation."""
import json
import random
import zlib

from sqlalchemy import insert

from talkpuck.store import tables as t


def session_row(sid, room="Room 1", device="puck-1", started_ms=0, minutes=50, actual_s=None, extended_s=0,
                break_before_s=None, short_break=False, purpose=None, warn_s=300, ended=True):
    actual_s = minutes * 60 if actual_s is None else actual_s
    return {"id": sid, "device": device, "room": room, "source": "host", "purpose": purpose,
            "limit_s": minutes * 60 + extended_s, "warn_s": warn_s, "phase": "ended" if ended else "running",
            "requested_ms": started_ms - 1000, "started_ms": started_ms,
            "ended_ms": started_ms + actual_s * 1000 if ended else None, "extended_s": extended_s,
            "break_before_s": break_before_s, "short_break": short_break}


def conversation(seed, started_ms, length_s, voices=3, practitioner=1, style="open", target_turns=None, shy=None,
                 remote=None):
    """Turn rows (voice, start_ms, end_ms, dur_ms, level_db, conf) of a made-up conversation.

    style "open": the practitioner talks in medium turns and the others answer at length;
    "questions": many short practitioner questions, each answered briefly (the interrogation pattern).
    `shy`: (voice, weight 0..1) a voice that takes the floor this much less often and talks shorter.
    `remote`: the voices of the call (through the laptop's loudspeaker): every turn then carries the
    puck's `remote` flag (evt/turn.remote), true for those voices; None: no flag (an older puck)."""
    rnd = random.Random(seed)
    out = []
    at = started_ms + rnd.randint(2000, 8000)
    end = started_ms + length_s * 1000
    others = [v for v in range(1, voices + 1) if v != practitioner]
    speaker = practitioner
    mean_len = (length_s * 1000.0 / target_turns) if target_turns else None
    while at < end - 1000:
        if style == "questions":
            dur = rnd.uniform(1.5, 5.0) if speaker == practitioner else rnd.uniform(2.0, 6.5)
            gap = rnd.uniform(0.15, 0.8)
        else:
            dur = rnd.uniform(4, 22) if speaker == practitioner else rnd.uniform(5, 45)
            gap = rnd.choice([rnd.uniform(0.05, 0.2), rnd.uniform(0.4, 2.5), rnd.uniform(2, 9)])
        if shy and speaker == shy[0]:
            dur *= max(0.2, shy[1])
        if not out and speaker == practitioner and not mean_len:
            dur = rnd.uniform(25, 40)       # the practitioner opens the call: who is here, what it is for
        if mean_len:
            dur = rnd.uniform(0.3, 1.4) * mean_len * 0.8 / 1000.0
            gap = mean_len * 0.2 / 1000.0 * rnd.uniform(0.2, 1.8)
        s, e = int(at), int(min(end, at + dur * 1000))
        level = rnd.randint(-38, -30)
        row = {"voice": speaker, "start_ms": s, "end_ms": e, "dur_ms": e - s, "level_db": level,
               "conf": rnd.randint(60, 99)}
        if remote is not None:
            row["remote"] = speaker in remote
        out.append(row)
        at = e + gap * 1000
        if speaker == practitioner:
            speaker = rnd.choice(others) if others else practitioner
        else:
            speaker = practitioner if rnd.random() < 0.65 else rnd.choice(others + [practitioner])
        if shy and speaker == shy[0] and rnd.random() > shy[1]:
            speaker = practitioner if rnd.random() < 0.5 or len(others) < 2 else [v for v in others if v != shy[0]][0]
    return out


def store_session(store, row, turns, hands=(), warning_ms=None, seq0=1):
    """Write one session, its turns, hands and (optionally) its warning phase event (a boot id per session)."""
    boot = "%08x" % zlib.crc32(row["id"].encode())
    with store.lock, store.engine.begin() as c:
        c.execute(insert(t.sessions).values(**row))
        if turns:
            c.execute(insert(t.turns), [dict(tr, device=row["device"], boot=boot, seq=seq0 + i, session_id=row["id"])
                                        for i, tr in enumerate(turns)])
        for i, h in enumerate(hands):
            c.execute(insert(t.hands).values(dict({"room": row["room"], "source": "puck", "device": row["device"],
                                                   "boot": boot, "hand": seq0 + i, "session_id": row["id"],
                                                   "state": "acked", "puck_confirmed": True}, **h)))
        if warning_ms is not None:
            c.execute(insert(t.events).values(
                device=row["device"], boot=boot, seq=seq0 + 100000, kind="session", dev_ms=0, wall_ms=warning_ms,
                received_ms=warning_ms, payload=json.dumps({"phase": "warning", "session": row["id"]})))
