"""The puck ignores retained commands (Mosquitto's ACL cannot see the retain flag): dropped, counted,
never answered; the same command sent live is obeyed."""
import asyncio
import json

from fakes.hal import FakeHal
from puckcore.puck import Puck

ROOT = "talkpuck/v1/puck-t1/"


def cmd(verb, cid, **fields):
    doc = {"id": cid, "ts": 1795258800000, "ttl_s": 30}
    for k in fields:
        doc[k] = fields[k]
    return (ROOT + "cmd/" + verb, json.dumps(doc).encode())


def run(scenario):
    hal = FakeHal()
    puck = Puck.from_storage(hal, "puck-t1")

    async def main():
        puck.start()
        try:
            await scenario(hal, puck)
        finally:
            puck.deinit()

    asyncio.run(main())
    return hal, puck


def responses(hal):
    out = {}
    for topic, payload, _qos, _retain in hal.link.published:
        if topic.endswith("/resp"):
            doc = json.loads(payload)
            out[doc["id"]] = doc
    return out


def test_retained_commands_are_dropped_and_counted():
    async def scenario(hal, puck):
        await hal.run_for_ms(300)
        topic, payload = cmd("session_start", "r1", limit_s=600)
        hal.link.inbox.append((topic, payload, True))        # retained: as a broker replays it
        hal.link.inbox.append(("talkpuck/v1/all/cmd/identify", cmd("identify", "r2", seconds=5)[1], True))
        await hal.run_for_ms(300)
        hal.link.inbox.append((topic, cmd("session_start", "live", limit_s=600)[1], False))
        await hal.run_for_ms(300)

    hal, puck = run(scenario)
    r = responses(hal)
    assert "r1" not in r and "r2" not in r
    assert r["live"]["ok"] is True
    assert puck.retained_dropped == 2
    assert puck.rejected == 2


def test_drop_retained_reads_the_flag_only_when_there():
    puck = Puck.from_storage(FakeHal(), "puck-t1")
    assert puck.drop_retained(("t", b"x")) is False
    assert puck.drop_retained(("t", b"x", False)) is False
    assert puck.drop_retained(("t", b"x", True)) is True
    assert puck.retained_dropped == 1
