"""Per-voice figures of a session: turns, talk time, share, monologues and cut-ins (take-overs without a pause)."""
from talkpuck.analytics.summary import CUT_IN_MS, MONOLOGUE_MS, voices_of


def turn(voice, start_s, end_s):
    return {"voice": voice, "start_ms": int(start_s * 1000), "end_ms": int(end_s * 1000),
            "dur_ms": int((end_s - start_s) * 1000)}


def test_shares_turns_monologues_and_cut_ins():
    turns = [
        turn(1, 0, 30), turn(1, 31, 70),  # voice 1 holds the floor for 70 s: one monologue
        turn(2, 70.1, 75),  # voice 2 comes in 0.1 s after: a cut-in
        turn(1, 77, 80),  # after a 2 s pause: not a cut-in
        turn(3, 79.5, 85),  # starts before voice 1 stops (overlap): a cut-in
        turn(2, 86, 90),
    ]
    v = voices_of(list(reversed(turns)))  # order of rows does not matter
    assert v[1]["turns"] == 3 and v[1]["talk_s"] == 72.0 and v[1]["monologues"] == 1 and v[1]["cut_ins"] == 0
    assert v[2]["cut_ins"] == 1 and v[2]["monologues"] == 0 and v[2]["turns"] == 2
    assert v[3]["cut_ins"] == 1
    assert abs(sum(x["share"] for x in v.values()) - 1.0) < 0.01


def test_same_voice_pieces_do_not_cut_in_and_short_runs_are_not_monologues():
    turns = [turn(1, 0, 20), turn(1, 20, 40), turn(2, 40 + (CUT_IN_MS + 50) / 1000.0, 50)]
    v = voices_of(turns)
    assert v[1]["cut_ins"] == 0 and v[2]["cut_ins"] == 0
    assert v[1]["monologues"] == 0 and MONOLOGUE_MS > 40000


def test_no_turns():
    assert voices_of([]) == {}


def test_each_voice_s_place_and_the_room_and_the_call():
    from talkpuck.analytics.summary import room_call_view
    turns = [dict(turn(1, 0, 30), remote=False), dict(turn(2, 31, 41), remote=True), dict(turn(3, 42, 52))]
    v = voices_of(turns)
    assert [v[k]["remote"] for k in (1, 2, 3)] == [False, True, None]
    rc = room_call_view(turns)
    assert (rc["room_s"], rc["call_s"], rc["unknown_s"]) == (30.0, 10.0, 10.0)
    assert (rc["room_share"], rc["call_share"], rc["unknown_share"]) == (0.6, 0.2, 0.2)
    assert rc["call_voices"] == [2]
    assert room_call_view([turn(1, 0, 30)]) is None   # an older puck: nothing known
