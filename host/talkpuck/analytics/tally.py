"""tally — a session's balance of voices folded turn by turn: the live pages' figures without re-reading every turn.

`VoiceTally` gives exactly what `summary.voices_of(turns)` and `summary.room_call_view(turns)` give for
the turns it was fed, in (start_ms, id) order, the order the store returns a session's turns in; its
state is a few numbers per voice, not the turns. The live hub keeps one per running session and feeds
it only the turns stored since its last build (talkpuck.live.snapshot.figures), which have higher ids.
`add()` refuses a turn that starts before the last one fed (a late turn, replayed from a puck's
outbox, belongs earlier in the order): the caller then folds the session's turns again from the store.

The arithmetic mirrors voices_of (monologues as runs of one voice, cut-ins against the turn before)
and metrics.places / room_and_call (each voice's latest `remote` flag by (start, end), each turn
counted where its voice is); tests/host/test_voice_tally.py checks the two agree on random sessions.
"""
from typing import Any

from talkpuck.analytics.metrics import Row
from talkpuck.analytics.summary import CUT_IN_MS, MONOLOGUE_MS


class OutOfOrder(ValueError):
    """A turn that starts before the last one fed: fold the session again from its start."""


class VoiceTally:
    __slots__ = ("turns", "last_id", "last_start", "_v", "_prev", "_run", "_where", "_where_key")

    def __init__(self) -> None:
        self.turns = 0                     # turns fed
        self.last_id = 0                   # the highest turn id fed (the store's id)
        self.last_start: int | None = None             # start_ms of the last turn fed
        self._v: dict[int, list[int]] = {}                       # voice -> [turns, talk_ms, monologues, cut_ins, span_ms]
        self._prev: tuple[int, int] | None = None                  # (voice, end_ms) of the turn before
        self._run: list[int] | None = None                   # [voice, start_ms, end_ms] of the current run of one voice
        self._where: dict[int, bool | None] = {}                   # voice -> True / False / None (metrics.places)
        self._where_key: dict[int, tuple[int, int]] = {}               # voice -> (start_ms, end_ms) of the turn its flag came from

    def add(self, t: Row) -> None:
        """Fold one turn (a store row: voice, dur_ms, start_ms, end_ms, cont, remote, id)."""
        start, end = t["start_ms"], t["end_ms"]
        if self.last_start is not None and start < self.last_start:
            raise OutOfOrder("turn %r starts at %r, before %r" % (t.get("id"), start, self.last_start))
        voice = int(t["voice"])
        v = self._v.get(voice)
        if v is None:
            v = self._v[voice] = [0, 0, 0, 0, 0]
        v[0] += 1
        v[1] += int(t["dur_ms"])
        v[4] += int(end - start)
        prev = self._prev
        if prev is not None and prev[0] != voice and start - prev[1] <= CUT_IN_MS and not t.get("cont"):
            v[3] += 1
        run = self._run
        if run is not None and run[0] == voice:
            run[2] = max(run[2], end)
        else:
            if run is not None and run[2] - run[1] >= MONOLOGUE_MS:
                self._v[run[0]][2] += 1
            self._run = [voice, start, end]
        self._prev = (voice, end)
        remote = t.get("remote")
        if remote is not None:
            # places() takes the flag of the voice's last turn in (start, end) order (ties: the last fed)
            key = (start, end)
            old = self._where_key.get(voice)
            if old is None or key >= old:
                self._where[voice] = bool(remote)
                self._where_key[voice] = key
        else:
            self._where.setdefault(voice, None)
        self.turns += 1
        self.last_start = start
        if t.get("id") is not None and t["id"] > self.last_id:
            self.last_id = t["id"]

    def voices(self) -> dict[int, dict[str, Any]]:
        """As summary.voices_of of the turns fed."""
        mono = {k: v[2] for k, v in self._v.items()}
        run = self._run
        if run is not None and run[2] - run[1] >= MONOLOGUE_MS:
            mono[run[0]] += 1
        total = sum(v[1] for v in self._v.values()) or 1
        where = self._where
        return {k: {"turns": v[0], "talk_s": round(v[1] / 1000.0, 1), "share": round(v[1] / float(total), 3),
                    "monologues": mono[k], "cut_ins": v[3], "remote": where.get(k)}
                for k, v in sorted(self._v.items())}

    def room_call(self) -> dict[str, Any] | None:
        """As summary.room_call_view of the turns fed."""
        where = dict(sorted(self._where.items()))
        if not any(x is not None for x in where.values()):
            return None
        ms = {"room": 0, "call": 0, "unknown": 0}
        for voice, v in self._v.items():
            w = where.get(voice)
            key = "unknown" if w is None else ("call" if w else "room")
            ms[key] += v[4]
        total = sum(ms.values())
        out: dict[str, Any] = {}
        for key in ("room", "call", "unknown"):
            out[key + "_s"] = round(ms[key] / 1000.0, 1)
            out[key + "_share"] = round(ms[key] / total if total else 0.0, 3)
        out["call_voices"] = [v for v, w in where.items() if w]
        return out

    def figures(self) -> dict[str, Any]:
        """{"voices", "room_call"}: as talkpuck.live.snapshot.session_figures of the turns fed."""
        return {"voices": self.voices(), "room_call": self.room_call()}
