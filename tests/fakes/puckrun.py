"""Run the puck application on a FakeHal in virtual time: a command builder, the run loop and the
responses it published (shared by the tests/firmware/test_puck*.py files; plain Python, runs under
MicroPython too)."""
import asyncio
import json

from fakes.hal import FakeHal
from puckcore.puck import Puck

DEV = "puck-t1"
ROOT = "talkpuck/v1/puck-t1/"


def cmd(verb, cid, ts=1795258800000, ttl_s=30, **fields):
    """(topic, payload) of a command to DEV."""
    doc = {"id": cid, "ts": ts, "ttl_s": ttl_s}
    for k in fields:
        doc[k] = fields[k]
    return (ROOT + "cmd/" + verb, json.dumps(doc).encode())


def run(scenario, storage=None):
    """Start a puck on a FakeHal over `storage`, await `scenario(hal, puck)`, stop it; (hal, puck)."""
    hal = FakeHal(storage)
    puck = Puck.from_storage(hal, DEV)

    async def main():
        puck.start()
        try:
            await scenario(hal, puck)
        finally:
            puck.deinit()

    asyncio.run(main())
    return hal, puck


def docs(hal, suffix):
    """The decoded payloads the puck published on topics ending in `suffix`."""
    return [json.loads(p[1]) for p in hal.link.topics(suffix)]


def responses(hal):
    """The puck's responses by command id."""
    out = {}
    for d in docs(hal, "/resp"):
        out[d["id"]] = d
    return out
