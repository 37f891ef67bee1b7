"""The puck's `info`: the protocol revision it speaks, and `voices` and `remote` among its capabilities."""
from fakes.hal import FakeHal
from puckcore.detect_light import LightParams
from puckcore.protocol import PROTOCOL_REVISION
from puckcore.puck import Puck


def test_info_reports_protocol_revision_and_voices():
    puck = Puck(FakeHal(), "puck-t1")
    info = puck.info_fields()
    assert info["proto_rev"] == PROTOCOL_REVISION
    # the detector attributes anonymous voices (voices.VoiceClusters): protocol §3.1 `voices`
    assert puck.detector.p.max_voices > 1
    assert "voices" in info["caps"] and "remote" in info["caps"]
    for cap in ("vad", "turns", "ring", "button"):
        assert cap in info["caps"]


def test_no_voices_nor_remote_cap_in_the_light_configuration():
    puck = Puck(FakeHal(), "puck-t1", detector="light")  # a board with "detector": "light" (Pico W)
    assert puck.detector.p is LightParams and not puck.detector.voices_on
    caps = puck.info_fields()["caps"]
    assert "voices" not in caps and "remote" not in caps
    for cap in ("vad", "turns", "ring", "button"):
        assert cap in caps
