"""What a reboot keeps (issue 13): the microphone pause made while idle, and the hands still waiting."""
import asyncio
import json

from fakes.hal import FakeHal, MemStorage
from puckcore.gestures import Gestures
from puckcore.puck import Puck

DEV = "puck-t1"
ROOT = "talkpuck/v1/puck-t1/"


def boot(storage, scenario):
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


async def hold(hal, ms):
    hal.button.pressed = True
    await hal.run_for_ms(ms)
    hal.button.pressed = False
    await hal.run_for_ms(600)


def last_state(hal):
    return json.loads(hal.link.topics("/state")[-1][1])


def test_the_mic_pause_made_while_idle_survives_a_reboot():
    storage = MemStorage()

    async def pause(hal, puck):
        await hal.run_for_ms(300)
        await hold(hal, Gestures.long_press_ms + 300)   # the privacy gesture, no session running
        await hal.run_for_ms(200)

    hal, puck = boot(storage, pause)
    assert puck.ctrl.mic_paused and last_state(hal)["mic"] == "paused"

    async def idle(hal, puck):
        await hal.run_for_ms(500)

    hal, puck = boot(storage, idle)     # power cut and back: still paused, never listening
    assert puck.ctrl.mic_paused and last_state(hal)["mic"] == "paused"


def test_waiting_hands_survive_a_reboot_and_can_be_acknowledged():
    storage = MemStorage()
    raised = []

    async def two_hands(hal, puck):
        await hal.run_for_ms(300)
        for _ in range(2):
            await hold(hal, 150)
        raised.extend(json.loads(p[1])["hand"] for p in hal.link.topics("/evt/hand"))

    hal, puck = boot(storage, two_hands)
    assert len(raised) == 2 and puck.ctrl.hands.count == 2

    async def ack_first(hal, puck):
        await hal.run_for_ms(300)
        doc = {"id": "c1", "ts": 1795258800000, "ttl_s": 30, "hand": raised[0]}
        hal.link.inject(ROOT + "cmd/hand_ack", json.dumps(doc).encode())
        await hal.run_for_ms(500)

    hal, puck = boot(storage, ack_first)
    resp = [json.loads(p[1]) for p in hal.link.topics("/resp")]
    assert resp[-1]["id"] == "c1" and resp[-1]["ok"] is True, resp
    assert puck.ctrl.hands.count == 1 and puck.ctrl.hands.next() == raised[1]
    assert last_state(hal)["hands"] == 1
