"""bench/voice_bench.py's selection logic: grid points become detector parameters the way the firmware
derives them, and nested selection never lets a held-out clip choose its own thresholds."""
import importlib.util
import os

from puckcore.detect_params import DetectParams

from conftest import ROOT


def _voice_bench():
    spec = importlib.util.spec_from_file_location("voice_bench", os.path.join(ROOT, "bench", "voice_bench.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_grid_holds_the_shipped_point_and_overrides_derive_the_split_score_like_the_firmware():
    vb = _voice_bench()
    points = vb.grid_points(vb.GRID)
    assert len(points) == 4 * 2 * 5
    shipped = {k: getattr(DetectParams, k) for k in vb.GRID}
    assert shipped in points
    over = vb.overrides(shipped, DetectParams)
    assert over["voice_split_score"] == DetectParams.voice_split_score
    assert vb.overrides({"voice_split_t": 3}, DetectParams)["voice_split_score"] == 16 * (3 * DetectParams.voice_frame_sd_q8) ** 2
    assert "voice_split_score" not in vb.overrides({"voice_new_k_q4": 40}, DetectParams)


def test_vector_grid_holds_the_shipped_point_and_derives_the_sure_threshold():
    vb = _voice_bench()
    points = vb.grid_points(vb.VECTOR_GRID)
    shipped = {k: getattr(DetectParams, k) for k in vb.VECTOR_GRID}
    assert shipped in points
    assert vb.overrides(shipped, DetectParams)["voice_vec_sure_q10"] == DetectParams.voice_vec_sure_q10
    if DetectParams.voice_vector:
        assert vb.grid_points() == points


def test_nested_picks_each_clips_point_on_the_other_clips_only(monkeypatch):
    vb = _voice_bench()
    # pool() stands for the pooled figures: here the mean "err" of the rows, with no DER
    monkeypatch.setattr(vb, "pool", lambda rows: {"talk_share_error": sum(r["err"] for r in rows) / len(rows), "der": 0.0})
    names = ["a", "b", "c"]

    def rows(errs):
        return [{"file": n, "err": e} for n, e in zip(names, errs)]

    # point 0 is perfect on "a" alone; point 1 is good on "b" and "c"; point 2 is middling everywhere
    by_point = [rows([0, 30, 30]), rows([20, 2, 2]), rows([10, 10, 10])]
    chosen, picks = vb.nested(by_point, names)
    # "a" is held out: the others prefer point 1, though point 0 would have scored "a" best
    assert picks == {"a": 1, "b": 2, "c": 2}
    assert [(r["file"], r["err"]) for r in chosen] == [("a", 20), ("b", 10), ("c", 10)]
    assert vb.objective({"talk_share_error": 16.0, "der": 0.36}) == 2.0
