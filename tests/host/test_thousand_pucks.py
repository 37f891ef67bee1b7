"""Many light simulated pucks (talkpuck.sim.light: the firmware's codec and outbox, no audio), each on
its own TLS connection with its own login, against `talkpuck serve --listen` (bench/thousand_pucks.py):
50 pucks for 20 s by default, every event created is stored once, and what a browser can see of them
reaches every open live stream (logged in over the host's HTTPS); 1,000 pucks for 10 minutes with
--run-slow (figures in bench/RESULTS.md). The matching of stream snapshots to events is checked on
its own with made-up snapshots."""
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
    r = bench.run(50, 20, streams=2, stream_grace_s=5.0)
    _check(r, 50)
    # each puck's events: ~0.4/s planned; at least a turn every ~4 s arrived from each puck
    assert r["created"] >= 50 * 20 / 4.5
    # two browsers logged in and read the stream to the end; what they can see reached them
    assert r["stream_errors"] == [] and r["stream_ended"] == 0
    assert r["stream_pushes_per_s"] > 0 and r["stream_kb_per_push"] > 1
    # ~1 puck in 7 changes phase and ~1 in 6 raises a hand in 20 s: some events are on screen
    assert r["stream_shown"] > 0 and r["stream_shown"] == sum(r["stream_kinds"].values())
    assert r["stream_shown"] + r["turns_outside"] <= r["stored"]
    # the last turn of a session whose puck moved on may never show; everything else does, on both
    assert r["stream_nowhere"] <= max(1, r["stream_shown"] // 20), r
    assert r["stream_everywhere"] >= r["stream_shown"] - max(1, r["stream_shown"] // 20), r
    assert r["stream_ms"][1] == r["stream_ms"][1] and r["stream_ms"][0] >= 0
    assert 0 < r["steady_events"] < r["created"] and r["received_steady_ms"][1] <= r["received_ms"][2]
    text = bench.report(r, ["--pucks", "50", "--seconds", "20", "--streams", "2"])
    assert "events created / stored / lost / duplicated" in text and "p50 / p99" in text
    assert "on a browser's event stream (2 streams" in text and "pending" not in text


def test_stream_snapshots_are_matched_to_the_events_they_show():
    bench = _bench()
    created = {("d1", "b", 1): 100.0, ("d1", "b", 2): 101.0, ("d1", "b", 3): 102.0, ("d1", "b", 4): 103.0,
               ("d1", "b", 5): 104.0, ("d2", "c", 7): 100.5}
    rows = [("session", ("d1", "b", 1), ("s1", "running")),
            ("turn", ("d1", "b", 2), ("s1", 1)), ("turn", ("d1", "b", 3), ("s1", 2)),
            ("session", ("d1", "b", 4), ("s1", "warning")),
            ("turn", ("d1", "b", 5), ("s1", 3)),         # never shown
            ("hand", ("d2", "c", 7), ("d2", "c", 7))]
    # stream A: running shown late with 2 turns at once; warning skipped straight to ended; the hand
    a = {"turns": {"s1": [[2, 102.5]]}, "phases": {"s1|running": 102.5, "s1|ended": 103.25},
         "hands": {"d2|c|7": 100.75}}
    # stream B: saw only the first turn and the running phase
    b = {"turns": {"s1": [[1, 101.5]]}, "phases": {"s1|running": 101.5}, "hands": {}}
    assert bench.seen_at("turn", ("s1", 2), a) == 102.5 and bench.seen_at("turn", ("s1", 2), b) is None
    assert bench.seen_at("session", ("s1", "warning"), a) == 103.25      # a later phase shows it happened
    assert bench.seen_at("session", ("s1", "warning"), b) is None
    lat = bench.stream_latency(created, rows, [a, b])
    assert lat["shown"] == 6 and lat["everywhere"] == 2 and lat["nowhere"] == 1   # (s1,1) and running; (s1,3)
    assert sorted(round(v) for v in lat["turn"]) == [500, 500, 1500]
    assert sorted(round(v) for v in lat["session"]) == [250, 1500, 2500]
    assert [round(v) for v in lat["hand"]] == [250]
    assert len(lat["all"]) == 7
    # an event not created in this run is not counted at all
    assert bench.stream_latency({}, rows, [a, b])["shown"] == 0


@pytest.mark.slow
def test_a_thousand_light_pucks_for_ten_minutes():
    r = _bench().run(1000, 600)
    _check(r, 1000)
    assert r["stream_errors"] == [] and r["stream_shown"] > 0


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


def test_the_snapshot_build_bench_measures_a_real_build():
    spec = importlib.util.spec_from_file_location("snapshot_build", os.path.join(ROOT, "bench", "snapshot_build.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    small, more = mod.measure(3, repeat=1), mod.measure(6, repeat=1)
    assert small["devices"] == 3 and small["build_ms"] > 0 and small["json_ms"] > 0
    # every puck's room is in the payload (each with its ring drawn): twice the pucks, about twice the bytes
    assert small["kb"] > 3 and 1.6 < more["kb"] / small["kb"] < 2.4


def test_the_light_pucks_info_is_accepted_and_puts_it_in_a_room_of_its_own():
    """Finding (issue 16, live pushes): its info lacked prev_boot/prev_seq, so the host rejected it and
    every light puck sat in the `unassigned` room: one room of 1,000 pucks."""
    from talkpuck.protocol import parse_message
    p = LightPuck("lp-0007", "127.0.0.1", 1)
    msg = parse_message("talkpuck/v1/lp-0007/info", p.info_doc(), True)
    assert msg.payload["room"] == "Room lp-0007" and msg.payload["prev_boot"] is None
