"""Shared pytest set-up: import paths for the firmware tree and fakes, and the --run-slow option."""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for p in (os.path.join(ROOT, "firmware"), os.path.join(ROOT, "tests"), os.path.join(ROOT, "tests", "firmware")):
    if p not in sys.path:
        sys.path.insert(0, p)


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", help="also run soaks and benchmarks")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="slow/bench: run with --run-slow (make bench)")
    for item in items:
        if "slow" in item.keywords or "bench" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def broker(tmp_path):
    """A private Mosquitto for one test (the end-to-end tests' broker)."""
    from talkpuck.mqtt.broker import Broker
    b = Broker.start(data_dir=str(tmp_path / "broker"))
    assert b.kind == "mosquitto"
    yield b
    b.stop()
