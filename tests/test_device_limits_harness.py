"""The device-limits harness itself must catch what the device would get wrong."""
import sys

import pytest

from harness import device_limits


@pytest.fixture
def limited_pkg(tmp_path):
    pkg = tmp_path / "limitprobe"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "calc.py").write_text(
        "def mul(a, b):\n    return a * b\n"
        "def acc(a, n):\n    x = a\n    for _ in range(n):\n        x += a\n    return x\n"
        "def third(a):\n    return a / 3\n"
    )
    (pkg / "exempt.py").write_text("# device-limits: exempt (test)\ndef mul(a, b):\n    return a * b\n")
    device_limits.install(root=str(tmp_path), packages=("limitprobe",))
    yield
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, device_limits._Finder)]
    for name in list(sys.modules):
        if name.startswith("limitprobe"):
            del sys.modules[name]


def test_int_overflow_is_caught(limited_pkg):
    from limitprobe import calc

    assert calc.mul(1 << 14, 1 << 15) == 1 << 29
    with pytest.raises(device_limits.DeviceLimitError):
        calc.mul(1 << 15, 1 << 15)
    with pytest.raises(device_limits.DeviceLimitError):
        calc.acc(1 << 28, 4)  # augmented assignment is checked too
    with pytest.raises(device_limits.DeviceLimitError):
        calc.mul(-(1 << 16), 1 << 15)


def test_floats_are_single_precision(limited_pkg):
    from limitprobe import calc

    x = calc.third(1.0)
    assert x != 1.0 / 3  # rounded to float32
    assert abs(x - 1.0 / 3) < 1e-7


def test_exempt_module_is_unchanged(limited_pkg):
    from limitprobe import exempt

    assert exempt.mul(1 << 20, 1 << 20) == 1 << 40
