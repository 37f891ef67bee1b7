"""The puck's `info`: the protocol revision it speaks, and `voices` among its capabilities."""
from fakes.hal import FakeHal
from puckcore.detect_params import DetectParams
from puckcore.protocol import PROTOCOL_REVISION
from puckcore.puck import Puck


class _OneVoice(DetectParams):
    max_voices = 1


def test_info_reports_protocol_revision_and_voices():
    puck = Puck(FakeHal(), "puck-t1")
    info = puck.info_fields()
    assert info["proto_rev"] == PROTOCOL_REVISION
    # the detector attributes anonymous voices (voices.VoiceClusters): protocol §3.1 `voices`
    assert puck.detector.p.max_voices > 1
    assert "voices" in info["caps"]
    for cap in ("vad", "turns", "ring", "button"):
        assert cap in info["caps"]


def test_no_voices_cap_when_the_detector_keeps_one_voice():
    puck = Puck(FakeHal(), "puck-t1")
    puck.detector.p = _OneVoice
    assert "voices" not in puck.info_fields()["caps"]
