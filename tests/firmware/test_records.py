"""records: the Controller's `state` fields and saved record, built and restored outside the Controller."""
import json

from puckcore import records
from puckcore.controller import Controller
from puckcore.settings import Settings
from fakes.outbox import FakeOutbox


def _ctrl(**settings):
    return Controller("puck-a1", "7f3a9c2e", Settings(settings), FakeOutbox())


def test_state_fields_at_idle_and_with_the_mic_paused():
    c = _ctrl()
    assert records.state_fields(c, 0) == {"phase": "idle", "session": None, "limit_s": 0, "remaining_s": 0,
                                          "talking": False, "voice": 0, "hands": 0, "hand_ack": 0, "mic": "on"}
    c.mic_paused = True
    assert records.state_fields(c, 0)["mic"] == "paused"


def test_record_round_trip_keeps_settings_and_mic():
    c = _ctrl(brightness=40, max_hands=2)
    c.mic_paused = True
    rec = json.loads(json.dumps(records.record(c, 0)))
    assert rec["v"] == records.RECORD_VERSION and rec["mic"] == "paused"
    c2 = _ctrl()
    assert records.restore(c2, rec, 0) == []
    assert c2.settings.brightness == 40 and c2.hands.limit == 2 and c2.mic_paused


def test_restore_drops_only_the_bad_parts():
    c = _ctrl()
    dropped = records.restore(c, {"settings": {"brightness": 999}, "mic": "paused"}, 0)
    assert len(dropped) == 1 and "brightness" in dropped[0]
    assert c.settings.brightness == 160 and c.mic_paused
    assert records.restore(c, ["not", "a", "record"], 0) == ["record"]


def test_waiting_hands_are_kept_in_the_record_and_bad_ones_dropped():
    c = _ctrl()
    c.hands.add(3)
    c.hands.add(7)
    rec = json.loads(json.dumps(records.record(c, 0)))
    assert rec["hands"] == [3, 7]
    c2 = _ctrl(max_hands=1)
    del rec["settings"]  # (the saved settings would resize the hands again)
    assert records.restore(c2, rec, 0) == [] and c2.hands.count == 1 and c2.hands.next() == 3
    c3 = _ctrl()
    dropped = records.restore(c3, {"hands": [3, "x"], "mic": "paused"}, 0)
    assert len(dropped) == 1 and dropped[0].startswith("hands") and c3.hands.count == 0 and c3.mic_paused


def test_voices_list_the_session_talk_and_the_remote_flag():
    c = _ctrl()
    assert records.voices(c) == []
    c.view.voice_ms[1] = 4000
    c.view.voice_ms[3] = 2000
    c.voice_where[3] = records.CALL
    c.voice_where[2] = records.ROOM  # no talk: not listed
    assert records.voices(c) == [{"voice": 1, "talk_ms": 4000}, {"voice": 3, "talk_ms": 2000, "remote": True}]
    c.voice_where[1] = records.ROOM
    assert records.voices(c)[0] == {"voice": 1, "talk_ms": 4000, "remote": False}
