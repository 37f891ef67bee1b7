"""docs/metrics.md, figure by figure, on small timelines built by hand (times in seconds from the start)."""
import math

import pytest

from talkpuck.analytics import metrics as M
from talkpuck.analytics.timeline import svg
from talkpuck.errors import ConfigError


def tl(*spec, **extra):
    """Turns from (voice, start_s, end_s[, level_db]) tuples."""
    out = []
    for s in spec:
        t = {"voice": s[0], "start_ms": int(s[1] * 1000), "end_ms": int(s[2] * 1000), "level_db": s[3] if len(s) > 3 else None}
        t["dur_ms"] = t["end_ms"] - t["start_ms"]
        out.append(dict(t, **extra))
    return out


SESSION = {"id": "s", "started_ms": 0, "ended_ms": 600000, "limit_s": 600, "extended_s": 0}
#   voice 1: 0-10, 30-100 (a 70 s monologue), voice 2: 10.1-20 (a cut-in: 100 ms after), voice 3: 26-30 (6 s gap)
BASIC = tl((1, 0, 10), (2, 10.1, 20), (3, 26, 30), (1, 30, 100), (2, 101, 105))


def test_talk_time_share_and_turns_per_voice():
    ms, share = M.talk(BASIC)
    assert ms == {1: 80000, 2: 13900, 3: 4000}
    assert share[1] == pytest.approx(80 / 97.9) and sum(share.values()) == pytest.approx(1.0)
    assert M.turns_per_voice(BASIC) == {1: 2, 2: 2, 3: 1}


def test_balance_is_normalised_entropy():
    assert M.balance({1: 0.5, 2: 0.5}) == pytest.approx(1.0)
    assert M.balance({1: 1 / 3.0, 2: 1 / 3.0, 3: 1 / 3.0}) == pytest.approx(1.0)
    assert M.balance({1: 1.0, 2: 0.0}) == pytest.approx(0.0)
    p = [0.8, 0.2]
    assert M.balance({1: p[0], 2: p[1]}) == pytest.approx(-(0.8 * math.log(0.8) + 0.2 * math.log(0.2)) / math.log(2))
    assert M.balance({1: 1.0}) is None                        # one voice: nothing to balance


def test_median_and_longest_turn_and_monologues():
    m = M.compute(SESSION, BASIC, [])
    assert m["median_turn_ms"] == 9900 and m["longest_turn_ms"] == 70000
    assert [(x["voice"], x["dur_ms"]) for x in m["monologues"]] == [(1, 70000)]
    # the threshold is a setting: 80 s makes it no monologue
    assert M.monologues(BASIC, M.Thresholds(monologue_s=80)) == []
    # two turns of one voice with no other voice between them are one run
    assert [x["dur_ms"] for x in M.monologues(tl((1, 0, 40), (1, 42, 65)))] == [65000]


def test_switches_per_minute():
    # 1->2, 2->3, 3->1, 1->2 in a 10-minute session: 0.4 per minute
    assert len(M.switches(BASIC)) == 4
    assert M.switches_per_minute(BASIC, 600000) == pytest.approx(0.4)
    assert M.switches_per_minute(BASIC, 0) is None


def test_cut_ins_within_the_gap_setting():
    # 1 -> 2 after 100 ms is a cut-in; 2 -> 3 after 6 s is not; 3 -> 1 at 0 ms touches exactly: a piece of one turn
    assert [(c["voice"], c["start_ms"]) for c in M.cut_ins(BASIC)] == [(2, 10100)]
    assert M.cut_ins(BASIC, M.Thresholds(cut_in_gap_ms=50)) == []
    assert len(M.cut_ins(BASIC, M.Thresholds(cut_in_gap_ms=1500))) == 2      # 1 -> 2 at 101 s too


def test_pieces_of_one_turn_are_not_cut_ins_and_the_turn_field_decides_when_present():
    pieces = tl((1, 0, 5), (2, 5, 9))                   # back to back: the firmware split one turn
    assert M.cut_ins(pieces) == [] and M.response_gaps(pieces) == []
    assert len(M.switches(pieces)) == 1                  # the voice did change: a switch, not a cut-in
    tied = [dict(pieces[0], turn_key=7), dict(pieces[1], turn_key=7)]
    assert M.cut_ins(tied) == []
    apart = [dict(pieces[0], turn_key=7), dict(pieces[1], turn_key=8)]    # touching, but two turns: a cut-in
    assert len(M.cut_ins(apart)) == 1 and len(M.switches(apart)) == 1


def test_silences_total_longest_and_long_ones():
    s = M.silences(BASIC, 0, 120000)
    # gaps: 10-10.1, 20-26, 100-101, 105-120
    assert s["total_ms"] == 100 + 6000 + 1000 + 15000
    assert s["longest_ms"] == 15000 and s["count_long"] == 2
    assert M.silences(BASIC, 0, 120000, M.Thresholds(silence_s=10))["count_long"] == 1
    assert M.silences([], 0, 8000)["total_ms"] == 8000


def test_response_gap_median():
    # voice changes: 0.1 s, 6 s, 0 s (touching: a piece, left out), 1 s -> median of 0.1, 6, 1 = 1 s
    assert sorted(M.response_gaps(BASIC)) == [100, 1000, 6000]
    assert M.compute(SESSION, BASIC, [])["response_gap_median_ms"] == 1000
    assert M.response_gaps(BASIC, from_voice=1) == [100, 1000]


def test_hand_waits():
    hands = [{"raised_ms": 1000, "acked_ms": 31000}, {"raised_ms": 5000, "acked_ms": None}, {"raised_ms": 0, "acked_ms": 10000}]
    assert M.hand_waits(hands) == [30.0, 10.0]
    m = M.compute(SESSION, BASIC, hands)
    assert (m["hand_raises"], m["hands_acked"], m["hand_wait_median_s"], m["hand_wait_longest_s"]) == (3, 2, 20.0, 30.0)


def test_planned_actual_overrun_break_and_back_to_back():
    s = dict(SESSION, limit_s=900, extended_s=300, ended_ms=660000, break_before_s=120, short_break=True)
    m = M.compute(s, BASIC, [])
    assert m["planned_ms"] == 600000 and m["duration_ms"] == 660000 and m["overrun_ms"] == 60000
    assert m["extended_s"] == 300 and m["break_before_s"] == 120 and m["back_to_back"] is True
    assert M.compute(dict(SESSION, ended_ms=500000), BASIC, [])["overrun_ms"] == 0
    assert M.compute(dict(SESSION, limit_s=None), BASIC, [])["overrun_ms"] is None


def test_suggested_practitioner_is_most_talk_in_the_first_two_minutes():
    turns = tl((2, 0, 50), (1, 51, 119), (2, 200, 600))   # voice 2 talks most overall, voice 1 most early
    assert M.suggested_practitioner(turns, 0) == 1
    assert M.suggested_practitioner(turns, 0, M.Thresholds(first_minutes_s=40)) == 2
    assert M.suggested_practitioner([], 0) is None


def test_practitioner_and_others_are_separated():
    m = M.compute(SESSION, BASIC, [], practitioner=1)
    assert m["sides"]["practitioner_talk_ms"] == 80000 and m["sides"]["others_talk_ms"] == 17900
    assert m["sides"]["practitioner_turns"] == 2 and m["sides"]["others_turns"] == 3
    assert m["voices"][1]["practitioner"] and not m["voices"][2]["practitioner"]


def _questions(n, q=3, a=4, gap=0.5, answer_voice=2):
    out, at = [], 0.0
    for i in range(n):
        out.append((1, at, at + q))
        at += q + gap
        out.append((answer_voice if i % 2 else 3, at, at + a))
        at += a + gap
    return tl(*out)


def test_interrogation_pattern_needs_all_four_parts():
    turns = _questions(8)
    found = M.interrogation(turns, 1)
    assert found["pairs"] == 8 and found["median_gap_ms"] == 500
    assert M.interrogation(turns, None) is None                       # no practitioner: nothing to say
    assert M.interrogation(_questions(5), 1) is None                  # too few exchanges
    assert M.interrogation(_questions(8, a=12), 1) is None            # long answers: a conversation
    assert M.interrogation(_questions(8, gap=2.0), 1) is None         # unhurried replies
    assert M.interrogation(_questions(8, q=1, a=7.5), 1) is None      # the others did most of the talking
    # the practitioner's share of turns: with the others' turns doubled, it falls under the setting
    doubled = []
    for t in _questions(8):
        doubled.append(t)
        if t["voice"] != 1:
            doubled.append(dict(t, voice=2 if t["voice"] == 3 else 3, start_ms=t["end_ms"] + 300, end_ms=t["end_ms"] + 800))
    assert M.interrogation(doubled, 1, M.Thresholds(interrogation_other_talk=1.0)) is None


def test_difficult_moments():
    # a busy stretch: 10 changes of voice in 20 s
    busy = tl(*[(1 + i % 2, i * 2, i * 2 + 1.5) for i in range(11)])
    kinds = [m["kind"] for m in M.difficult_moments(busy, {"started_ms": 0, "ended_ms": None})]
    assert kinds == ["busy"]
    # a brisk call all the way through (a change every 3 s for 10 min) has no busy stretch of its own...
    brisk = [(1 + i % 2, i * 3, i * 3 + 2.5) for i in range(200)]
    assert M.difficult_moments(tl(*brisk), {"started_ms": 0, "ended_ms": None}) == []
    # ...until one minute goes three times as fast
    burst = brisk[:100] + [(1 + i % 2, 300 + i * 1.0, 300 + i * 1.0 + 0.8) for i in range(60)] + \
        [(v, a + 60, b + 60) for v, a, b in brisk[100:]]
    ms = M.difficult_moments(tl(*burst), {"started_ms": 0, "ended_ms": None})
    assert [m["kind"] for m in ms] == ["busy"] and 285000 <= ms[0]["start_ms"] <= 305000 <= 355000 <= ms[0]["end_ms"]
    # sustained raised level: 3 loud turns over 30 s among quiet ones
    loud = tl((1, 0, 10, -40), (2, 11, 20, -40), (1, 21, 30, -40), (2, 31, 40, -30), (1, 41, 50, -30),
              (2, 51, 62, -31), (1, 63, 70, -40), (2, 71, 80, -41))
    ms = M.difficult_moments(loud, {"started_ms": 0, "ended_ms": None})
    assert [(m["kind"], m["start_ms"], m["end_ms"]) for m in ms] == [("raised", 31000, 62000)]
    # an abrupt end: ended early, in the middle of a turn
    s = {"started_ms": 0, "ended_ms": 100000, "limit_s": 600, "extended_s": 0}
    ms = M.difficult_moments(tl((1, 0, 50), (2, 51, 99.8)), s)
    assert {m["kind"] for m in ms} == {"early", "cut_off"}
    s = {"started_ms": 0, "ended_ms": 590000, "limit_s": 600, "extended_s": 0}
    assert M.difficult_moments(tl((1, 0, 50), (2, 51, 99.8)), s) == []


def test_thresholds_are_checked():
    with pytest.raises(ConfigError):
        M.Thresholds(cut_in_gap_ms=-1).check()
    with pytest.raises(ConfigError):
        M.Thresholds(silence_s=float("nan")).check()
    from talkpuck.service.settings import Settings
    assert Settings("mqtt://127.0.0.1:1", data_dir="unused").review_thresholds == M.DEFAULT
    with pytest.raises(ConfigError):
        Settings("mqtt://127.0.0.1:1", data_dir="unused", review_thresholds=M.Thresholds(monologue_s=-5))


def test_timeline_svg_has_a_lane_per_voice_and_escapes_text():
    out = svg(BASIC, 0, 120000, practitioner=2, markers=[(50000, "<warning>", "warning")],
              moments=[{"kind": "busy", "start_ms": 0, "end_ms": 1000, "note": "a & b"}])
    assert out.count('<rect class="lane') == 3 and out.count('class="turn') == 5
    assert out.index("Voice 2 (you)") < out.index("Voice 1")           # the practitioner's lane first
    assert "<warning>" not in out and "&lt;warning&gt;" in out and "a &amp; b" in out
    assert "style=" not in out and "<script" not in out                  # the CSP allows neither inline


def test_room_and_call_from_each_voice_s_latest_remote_flag():
    # voice 1 in the room; voice 2 from the laptop: its first turn came before the cue had decided
    # (false), the later ones say true, so all its talk is the call's; voice 3 never flagged (unknown)
    turns = (tl((1, 0, 40), remote=False) + tl((2, 41, 51), remote=False) + tl((2, 52, 62), remote=True)
             + tl((1, 63, 73), remote=False) + tl((3, 74, 78)) + tl((2, 80, 90), remote=True))
    assert M.places(turns) == {1: False, 2: True, 3: None}
    rc = M.room_and_call(turns)
    assert (rc["room_ms"], rc["call_ms"], rc["unknown_ms"]) == (50000, 30000, 4000)
    assert rc["call_share"] == pytest.approx(30 / 84.0) and rc["room_share"] == pytest.approx(50 / 84.0)
    assert rc["room_share"] + rc["call_share"] + rc["unknown_share"] == pytest.approx(1.0)
    assert (rc["room_turns"], rc["call_turns"], rc["unknown_turns"]) == (2, 3, 1)
    assert rc["call_voices"] == [2] and rc["room_voices"] == [1]
    m = M.compute(SESSION, turns, [])
    assert m["room_call"] == rc
    assert [m["voices"][v]["remote"] for v in (1, 2, 3)] == [False, True, None]


def test_room_and_call_unknown_without_any_flag():
    # an older puck (no evt/turn.remote) or the light configuration: nothing known, no figure
    assert M.room_and_call(BASIC) is None
    assert M.room_and_call(tl((1, 0, 10), remote=None)) is None
    assert M.compute(SESSION, BASIC, [])["room_call"] is None
    assert M.places(BASIC) == {1: None, 2: None, 3: None}
