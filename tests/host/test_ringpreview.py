"""`talkpuck ring preview`: renders every scene with the real renderer and writes the images."""
import os

from talkpuck import cli
from talkpuck.analytics import ringpreview


def test_scenes_cover_every_phase_and_overlay():
    titles = [s[0] for s in ringpreview.contact_scenes(16)]
    for name in ("idle", "running", "warning", "wrapup", "timeup", "overrun", "ended", "break", "hands",
                 "hand acknowledged", "mic paused", "connection lost", "identify", "voice balance",
                 "start gesture", "night mode", "ring test"):
        assert name in titles, name
    for title, _caption, frame in ringpreview.contact_scenes(16):
        assert len(frame) == 48
        assert title == "idle" or any(frame), title  # every scene lights something


def test_session_animation_runs_through_the_phases():
    phases = [f[0] for f in ringpreview.session_frames(24, 600, 300)]
    seen = []
    for p in phases:
        if not seen or seen[-1] != p:
            seen.append(p)
    assert seen == ["running", "warning", "wrapup", "timeup", "overrun", "ended", "break"]


def test_cli_writes_png_svg_gif(tmp_path):
    rc = cli.main(["ring", "preview", "--out", str(tmp_path), "--leds", "12", "--limit-s", "360", "--warn-s", "120"])
    assert rc == 0
    names = sorted(os.listdir(tmp_path))
    assert names == ["ring-phases.png", "ring-phases.svg", "ring-session.gif"]
    from PIL import Image

    with Image.open(tmp_path / "ring-session.gif") as im:
        assert im.n_frames > 50
    assert (tmp_path / "ring-phases.svg").read_text().startswith("<svg")
