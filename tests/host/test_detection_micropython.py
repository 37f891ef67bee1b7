"""The detector under real MicroPython (viper twins) gives the same events as under CPython on real
recordings, voice ids and confidences included (ami_trn09 has two voices)."""
import ast
import os
import subprocess
import sys

import pytest

from talkpuck.detection.audio import read_wav
from talkpuck.detection.runner import T0, run_detector

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLIPS = {"ami_trn00": 1, "ami_trn09": 2}  # clip: the fewest voices its events must show


@pytest.mark.parametrize("clip", sorted(CLIPS))
def test_same_events_under_micropython(clip):
    WAV = os.path.join("data", "speech", "ami", clip + ".wav")
    mp = os.path.join(os.path.dirname(sys.executable), "micropython")
    env = dict(os.environ, MICROPYPATH=os.path.join(ROOT, "firmware"))
    r = subprocess.run([mp, "-X", "heapsize=8M", os.path.join(ROOT, "tests", "host", "mp_detect.py"), WAV, str(T0)],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    mp_events = [_norm(ast.literal_eval(line)) for line in r.stdout.splitlines() if line.strip()]
    samples, _ = read_wav(os.path.join(ROOT, WAV))
    events = []
    run_detector(samples, events_out=events)
    py_events = [_norm(e) for e in events]
    assert len(py_events) >= 4  # several turns in this clip
    assert len({e[3] for e in py_events if e[0] == 2}) >= CLIPS[clip]
    assert mp_events == py_events


def _norm(ev):
    """Tick fields modulo 2**30: the unix port's ticks period is wider than the devices' 2**30."""
    times = {1: (1,), 2: (1, 2), 3: (1, 2)}[ev[0]]
    return tuple(v & ((1 << 30) - 1) if i in times else v for i, v in enumerate(ev))
