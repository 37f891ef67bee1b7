"""Many light simulated pucks (talkpuck.sim.light: the firmware's codec and outbox, no audio), each on
its own TLS connection with its own login, against `talkpuck serve --listen` (bench/thousand_pucks.py):
50 pucks for 20 s by default, every event created is stored once; 1,000 pucks for 10 minutes with
--run-slow (figures in bench/RESULTS.md)."""
import asyncio
import importlib.util
import json
import os
import ssl

import pytest

from talkpuck.mqtt.broker import mosquitto_binary
from talkpuck.sim.light import LightPuck
from talkpuck.sim.mqttlite import LiteClient

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
pytestmark = pytest.mark.skipif(mosquitto_binary() is None, reason="needs mosquitto")


def _bench():
    spec = importlib.util.spec_from_file_location("thousand_pucks", os.path.join(ROOT, "bench", "thousand_pucks.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _check(r, n):
    assert r["lost"] == 0 and r["duplicates"] == 0, r
    assert r["stored"] == r["created"] > 0
    assert r["errors"] == 0 and r["reconnects"] == 0, r
    assert r["commands"] >= n              # every puck got the host's cmd/time through its own login
    assert r["cpu_pct"]["serve"] > 0 and r["rss_mb"]["mosquitto"] > 0
    assert r["stored_ms"][1] == r["stored_ms"][1]    # a number (not NaN): latencies were measured


def test_fifty_light_pucks_for_twenty_seconds_lose_and_duplicate_nothing():
    bench = _bench()
    r = bench.run(50, 20)
    _check(r, 50)
    # each puck's events: ~0.4/s planned; at least a turn every ~4 s arrived from each puck
    assert r["created"] >= 50 * 20 / 4.5
    text = bench.report(r, ["--pucks", "50", "--seconds", "20"])
    assert "events created / stored / lost / duplicated" in text and "p50 / p99" in text


@pytest.mark.slow
def test_a_thousand_light_pucks_for_ten_minutes():
    r = _bench().run(1000, 600)
    _check(r, 1000)


def test_the_rate_is_a_busy_meeting():
    assert 0.35 <= LightPuck.rate_per_s() <= 0.5


def test_a_wrong_password_is_refused_and_nothing_is_sent(tmp_path):
    from talkpuck.mqtt.broker import Broker, free_port
    from talkpuck.security.ca import init_certificates
    from talkpuck.security.credentials import Credentials, security_dir
    from talkpuck.security.mosquitto_conf import SecureBroker

    data = str(tmp_path / "var")
    sec = security_dir(data)
    init_certificates(sec, ["127.0.0.1"])
    with open(Credentials(sec).add_device("lp-0001", "127.0.0.1")) as f:
        password = json.load(f)["mqtt_password"]
    secure = SecureBroker(sec, "127.0.0.1", free_port())
    broker = Broker.start(data_dir=data, secure=secure)
    ctx = ssl.create_default_context(cafile=os.path.join(sec, "ca.crt"))

    async def go():
        bad = LiteClient("127.0.0.1", secure.tls_port, "lp-0001", "wrong", ctx)
        with pytest.raises(OSError, match="refused"):
            await bad.connect()
        good = LiteClient("127.0.0.1", secure.tls_port, "lp-0001", password, ctx)
        await good.connect()
        await good.subscribe("talkpuck/v1/lp-0001/cmd/#")
        await good.publish("talkpuck/v1/lp-0001/status", b"online", 1, True)
        await good.close()
        with pytest.raises(OSError):
            await good.publish("talkpuck/v1/lp-0001/status", b"online", 1, True)

    try:
        asyncio.run(go())
    finally:
        broker.stop()
