"""The puck application on a fake HAL: connect sequence, commands and responses, bad input,
expiry, a broken link and the button, in virtual time (runs under MicroPython asyncio too)."""
import json

from fakes.hal import FakeHal, MemStorage
from fakes.puckrun import DEV, ROOT, cmd, docs, responses, run
from puckcore.puck import Puck


def test_connect_sequence_and_previous_boot():
    storage = MemStorage({"boot": {"boot": "11112222", "seq": 41}})

    async def scenario(hal, puck):
        await hal.run_for_ms(500)

    hal, puck = run(scenario, storage)
    link = hal.link
    assert link.will == (ROOT + "status", b"offline")
    assert link.published[0][:4] == (ROOT + "status", b"online", 1, True)
    topic, payload, qos, retain = link.published[1]
    info = json.loads(payload)
    assert (topic, qos, retain) == (ROOT + "info", 1, True)
    assert (info["prev_boot"], info["prev_seq"], info["boot"], info["v"]) == ("11112222", 41, "0badf00d", 1)
    assert (ROOT + "cmd/#", 1) in link.subscribed
    assert ("talkpuck/v1/all/cmd/#", 1) in link.subscribed
    state = docs(hal, "/state")[-1]
    assert state["phase"] == "idle" and state["mic"] == "on"
    assert storage.docs["boot"]["boot"] == "0badf00d"
    assert hal.leds.writes > 5


def test_session_command_event_and_state():
    async def scenario(hal, puck):
        await hal.run_for_ms(300)
        hal.link.inject(*cmd("session_start", "c1", session="s-1", limit_s=600, warn_s=120))
        await hal.run_for_ms(500)

    hal, puck = run(scenario)
    assert responses(hal)["c1"]["ok"] is True
    ev = docs(hal, "/evt/session")[0]
    assert (ev["seq"], ev["phase"], ev["session"], ev["limit_s"], ev["cause"]) == (1, "running", "s-1", 600, "cmd")
    assert docs(hal, "/state")[-1]["phase"] == "running"
    assert hal.link.topics("/evt/session")[0][2:] == (1, False)


def test_bad_commands_are_answered_counted_and_harmless():
    async def scenario(hal, puck):
        await hal.run_for_ms(300)
        hal.link.inject(ROOT + "cmd/session_start", b'{"id": "c2", "ts": 1, "ttl_s": 30, "limit_s": "ten"}')
        hal.link.inject(ROOT + "cmd/identify", b"{not json")
        hal.link.inject(ROOT + "cmd/selfdestruct", b'{"id": "c3", "ts": 1, "ttl_s": 30}')
        hal.link.inject(ROOT + "cmd/session_extend", cmd("session_extend", "c4", add_s=60)[1])
        hal.link.inject(*cmd("session_start", "c5", limit_s=300))
        await hal.run_for_ms(500)

    hal, puck = run(scenario)
    r = responses(hal)
    assert r["c2"]["ok"] is False and "limit_s" in r["c2"]["error"]
    assert r["c3"]["ok"] is False and "selfdestruct" in r["c3"]["error"]
    assert r["c4"]["ok"] is False  # no session to extend
    assert r["c5"]["ok"] is True  # good commands after bad ones still work
    assert puck.rejected == 4


def test_expired_commands_are_dropped():
    async def scenario(hal, puck):
        await hal.run_for_ms(300)
        hal.link.inject(*cmd("time", "t1", now_ms=1795258900000))
        await hal.run_for_ms(100)
        hal.link.inject(*cmd("session_start", "old", ts=1795258800000, ttl_s=30, limit_s=300))
        hal.link.inject(*cmd("session_start", "new", ts=1795258899000, ttl_s=30, limit_s=300))
        await hal.run_for_ms(300)

    hal, puck = run(scenario)
    r = responses(hal)
    assert r["t1"]["ok"] is True
    assert r["old"]["error"] == "expired"
    assert r["new"]["ok"] is True


def test_events_survive_a_link_fault():
    async def scenario(hal, puck):
        await hal.run_for_ms(300)
        hal.link.fail_next = 1
        hal.link.inject(*cmd("session_start", "c1", limit_s=600))
        await hal.run_for_ms(3000)
        hal.link.inject(*cmd("session_stop", "c2"))
        await hal.run_for_ms(500)

    hal, puck = run(scenario)
    assert hal.link.connects >= 2
    seqs = [d["seq"] for d in docs(hal, "/evt/session")]
    assert seqs[0] == 1 and seqs == sorted(seqs) and len(seqs) >= 2
    assert len(puck.outbox) == 0


def test_button_press_raises_a_hand():
    async def scenario(hal, puck):
        await hal.run_for_ms(300)
        hal.button.pressed = True
        await hal.run_for_ms(150)
        hal.button.pressed = False
        await hal.run_for_ms(1000)

    hal, puck = run(scenario)
    hands = docs(hal, "/evt/hand")
    assert len(hands) == 1 and hands[0]["action"] == "raise" and hands[0]["hand"] == hands[0]["seq"]
    assert docs(hal, "/state")[-1]["hands"] == 1


def test_a_link_dropped_in_the_background_is_noticed():
    async def scenario(hal, puck):
        await hal.run_for_ms(300)
        hal.link.up = False  # the socket died while nothing was being sent
        await hal.run_for_ms(2000)

    hal, puck = run(scenario)
    assert hal.link.connects >= 2
    assert puck.online
    assert len(hal.link.topics("/info")) >= 2  # info again after the reconnect


def _hear(det, k):
    """A voice as the detector's clustering takes it: a unit vector (voice vector) or a pitch code."""
    if det.vec is None:
        det.voices.assign(14000 + 1000 * k, 60)
        return
    from array import array

    u = array("i", [0] * det.voices.dim)
    u[k] = 1024
    det.voices.assign(u, 60)
    det.vec.store[k] = 5  # a stored frame value, to be erased with the voices


def test_voices_are_forgotten_when_a_session_starts_and_ends():
    seen = {}

    async def scenario(hal, puck):
        det = puck.detector
        await hal.run_for_ms(300)
        _hear(det, 0)  # a voice heard before the session
        det.last_voice = 1
        det.remote.add(0, -30 * 16, -40 * 16)  # and the remote cue's histogram of it
        det.remote.take(1, 0, 1)
        puck.ctrl.voice_where[1] = 2
        hal.link.inject(*cmd("session_start", "c1", session="s-1", limit_s=600, warn_s=120))
        await hal.run_for_ms(500)
        seen["after_start"] = (det.voices.n, det.last_voice, sum(det.remote.hist), sum(det.remote.sums),
                               sum(puck.ctrl.voice_where))
        _hear(det, 0)
        _hear(det, 1)
        det.remote.take(2, 0, 1)
        seen["before_stop"] = det.voices.n
        hal.link.inject(*cmd("session_stop", "c2", session="s-1"))
        await hal.run_for_ms(500)
        seen["after_stop"] = (det.voices.n, list(det.voices.centre), sum(det.remote.hist), sum(det.remote.sums))
        seen["store"] = 0 if det.vec is None else max(det.vec.store)

    hal, puck = run(scenario)
    assert responses(hal)["c2"]["ok"] is True
    assert seen["after_start"] == (0, 0, 0, 0, 0)
    assert seen["before_stop"] == 2
    assert seen["after_stop"] == (0, [0] * len(puck.detector.voices.centre), 0, 0)
    assert seen["store"] == 0


def _tele_schema():
    with open("host/talkpuck/protocol/schemas/tele.json") as f:
        return json.load(f)


def test_tele_carries_every_counter_its_schema_lists():
    async def scenario(hal, puck):
        await hal.run_for_ms(300)

    hal, puck = run(scenario)
    t = docs(hal, "/tele")[0]
    schema = _tele_schema()
    assert sorted(t) == sorted(schema["properties"])  # every field the puck sends is listed, and sent
    for k in schema["required"]:
        assert k in t
    for k in ("outbox_dropped", "detector_dropped", "resp_dropped", "mqtt_discards", "mic_short_reads",
              "storage_errors"):
        assert t[k] == 0
    assert t["link_error"] is None


def test_drop_and_error_counts_reach_tele():
    hal = FakeHal()
    puck = Puck.from_storage(hal, DEV)
    now = hal.clock.now_ms()
    for i in range(Puck.responses_max + 3):  # no link task runs: the responses pile up
        puck.uplink.respond("c%d" % i, "identify", None, now)
    assert len(puck.responses) == Puck.responses_max
    assert json.loads(puck.responses.peek())["id"] == "c3"  # the oldest went first
    for i in range(puck.outbox.capacity + 2):
        puck.outbox.add("vad", {"i": i}, now)
    for _ in range(puck.detector.p.queue_len + 4):
        puck.detector.events.put((3, 0, 0, 0, 0, 0, 0))
    hal.link.discards = 5
    hal.link.last_error = "OSError(104, 'ECONNRESET')"
    hal.mic.short_reads = 6
    hal.storage.errors = 7
    t = puck.tele_fields(now)
    assert (t["resp_dropped"], t["outbox_dropped"], t["detector_dropped"], t["dropped"]) == (3, 2, 4, 6)
    assert (t["mqtt_discards"], t["mic_short_reads"], t["storage_errors"]) == (5, 6, 7)
    assert t["link_error"] == "OSError(104, 'ECONNRESET')"


def test_a_link_fault_is_reported_in_tele():
    async def scenario(hal, puck):
        await hal.run_for_ms(300)
        hal.link.fail_next = 1
        hal.link.inject(*cmd("identify", "c1"))
        await hal.run_for_ms(2000)

    hal, puck = run(scenario)
    assert "link fault" in puck.tele_fields(hal.clock.now_ms())["link_error"]
