"""VoiceTally (talkpuck.analytics.tally) against the figures it stands in for: voices_of and room_call_view
of the same turns, on random sessions with ties, continued turns, remote flags and long runs; fed at
once or in parts, and refusing a turn that starts too early."""
import random

import pytest

from talkpuck.analytics.tally import OutOfOrder, VoiceTally
from talkpuck.live.snapshot import session_figures


def random_turns(rng, n):
    turns, t = [], rng.randrange(0, 5000)
    for i in range(n):
        t += rng.choice([0, 0, 50, 150, 250, 900, 3000, 20000])     # ties and cut-ins on purpose
        dur = rng.choice([100, 800, 2500, 30000, 61000])
        turns.append({"id": i + 1, "voice": rng.randrange(1, 5), "dur_ms": dur, "start_ms": t,
                      "end_ms": t + rng.choice([dur, dur - 50, 0]) if dur > 50 else t + dur,
                      "cont": rng.random() < 0.2 or None, "remote": rng.choice([None, None, True, False])})
    # the store's order: (start_ms, id)
    return sorted(turns, key=lambda r: (r["start_ms"], r["id"]))


@pytest.mark.parametrize("seed", range(60))
def test_tally_equals_the_figures_of_all_turns(seed):
    rng = random.Random(seed)
    turns = random_turns(rng, rng.randrange(0, 80))
    tally = VoiceTally()
    cut = rng.randrange(0, len(turns) + 1)
    for r in turns[:cut]:
        tally.add(r)
    assert tally.figures() == session_figures(turns[:cut])
    for r in turns[cut:]:
        tally.add(r)
    assert tally.figures() == session_figures(turns)
    assert tally.turns == len(turns)
    assert tally.last_id == max([r["id"] for r in turns] or [0])


def test_a_monologue_and_a_cut_in_are_counted():
    turns = [{"id": 1, "voice": 1, "dur_ms": 40000, "start_ms": 0, "end_ms": 40000, "cont": None, "remote": None},
             {"id": 2, "voice": 1, "dur_ms": 30000, "start_ms": 41000, "end_ms": 71000, "cont": None, "remote": False},
             {"id": 3, "voice": 2, "dur_ms": 1000, "start_ms": 71100, "end_ms": 72100, "cont": None, "remote": True}]
    tally = VoiceTally()
    for r in turns:
        tally.add(r)
    v = tally.voices()
    assert v[1]["monologues"] == 1 and v[2]["cut_ins"] == 1 and v[1]["remote"] is False and v[2]["remote"] is True
    assert tally.room_call()["call_voices"] == [2]
    assert tally.figures() == session_figures(turns)


def test_a_turn_that_starts_before_the_last_is_refused():
    tally = VoiceTally()
    tally.add({"id": 5, "voice": 1, "dur_ms": 100, "start_ms": 1000, "end_ms": 1100})
    tally.add({"id": 6, "voice": 2, "dur_ms": 100, "start_ms": 1000, "end_ms": 1200})   # a tie is in order
    with pytest.raises(OutOfOrder):
        tally.add({"id": 7, "voice": 1, "dur_ms": 100, "start_ms": 999, "end_ms": 1099})
    assert tally.turns == 2
