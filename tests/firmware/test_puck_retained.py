"""The puck ignores retained commands (Mosquitto's ACL cannot see the retain flag): dropped, counted,
never answered; the same command sent live is obeyed."""
from fakes.hal import FakeHal
from fakes.puckrun import cmd, responses, run
from puckcore.puck import Puck


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
