"""commands: one handler per verb of the protocol table; handlers check state, not ranges."""
from puckcore import commands, protocol
from puckcore.controller import Controller
from puckcore.settings import Settings
from puckcore.ticks import ticks_diff
from fakes.clock import FakeClock
from fakes.outbox import FakeOutbox


def _new():
    return Controller("puck-a1", "7f3a9c2e", Settings(), FakeOutbox(1)), FakeClock()


def test_every_verb_has_a_handler():
    # `time` is the app's own (Puck keeps the host time); every other verb is handled here
    for verb in protocol.VERBS:
        assert (verb in commands.HANDLERS) == (verb != "time"), verb
    for verb in commands.HANDLERS:
        assert verb in protocol.COMMANDS, verb


def test_on_command_dispatches_through_the_table():
    c, clk = _new()
    seen = []
    saved = commands.HANDLERS["ring_test"]
    commands.HANDLERS["ring_test"] = lambda ctrl, args, now_ms: seen.append((ctrl, args, now_ms)) or "stub"
    try:
        assert c.on_command("ring_test", {"x": 1}, clk.now_ms()) == "stub"
    finally:
        commands.HANDLERS["ring_test"] = saved
    assert seen == [(c, {"x": 1}, clk.now_ms())]
    assert c.on_command("time", {"now_ms": 5}, clk.now_ms()) == "unknown verb time"


def test_identify_default_and_state_checks():
    c, clk = _new()
    assert c.on_command("identify", {}, clk.now_ms()) is None
    assert c.identify_on and ticks_diff(c.identify_until, clk.now_ms()) == c.identify_default_s * 1000
    assert c.on_command("session_extend", {"add_s": 60}, clk.now_ms()) == "no session running"
    assert c.on_command("session_start", {"limit_s": 80000}, clk.now_ms()) is None
    assert c.on_command("session_extend", {"add_s": 7000}, clk.now_ms()) == "add_s: the session would pass 86400 s"


class _FakeUpdater:
    """Stands in for puckport.fwupdate.Updater (tested in test_fwupdate.py): records the calls."""

    def __init__(self):
        self.calls = []

    def offer(self, fw, size, mlen, mac):
        self.calls.append(("offer", fw, size, mlen, mac))

    def chunk(self, off, data):
        self.calls.append(("chunk", off, data))

    def apply(self, fw, now_ms):
        self.calls.append(("apply", fw))


def test_fw_verbs_need_an_updater_and_wait_for_the_session_to_end():
    c, clk = _new()
    offer = {"fw": "0.2.0", "size": 100, "mlen": 50, "mac": "00" * 32}
    assert c.on_command("fw_offer", offer, clk.now_ms()) == "updates: not available on this puck"
    assert c.on_command("fw_chunk", {"off": 0, "data": "QUFB"}, clk.now_ms()) == "updates: not available on this puck"
    c.fw = _FakeUpdater()
    assert c.on_command("session_start", {"limit_s": 600}, clk.now_ms()) is None
    assert c.on_command("fw_offer", offer, clk.now_ms()) == "session running: offer the update after it ends"
    assert c.on_command("fw_apply", {"fw": "0.2.0"}, clk.now_ms()) == "session running: apply the update after it ends"
    assert c.on_command("fw_chunk", {"off": 0, "data": "QUFB"}, clk.now_ms()) is None  # a download goes on
    assert c.fw.calls == [("chunk", 0, "QUFB")]
    assert c.on_command("session_stop", {}, clk.now_ms()) is None
    assert c.on_command("fw_offer", offer, clk.now_ms()) is None
    assert c.on_command("fw_apply", {"fw": "0.2.0"}, clk.now_ms()) is None
    assert c.fw.calls[1:] == [("offer", "0.2.0", 100, 50, "00" * 32), ("apply", "0.2.0")]


def test_follow_up_window_starts_shows_in_state_and_ends():
    c, clk = _new()
    now = clk.now_ms()
    assert c.on_command("follow_up", {"seconds": 1800}, now) is None
    assert c.follow_on and ticks_diff(c.follow_until, now) == 1800000
    assert c.state_fields(now)["follow_s"] == 1800
    c.render(now, bytearray(3 * c.leds))
    assert c.view.follow_ms == 1800000 and c.view.follow_total_ms == 1800000
    c.state_flag.clear()
    c.tick(now + 1800000)
    assert not c.follow_on and "follow_s" not in c.state_fields(now + 1800000)
    assert c.state_flag.is_set(), "the state goes out again when the window ends"
    assert c.on_command("follow_up", {"seconds": 600}, now) is None
    assert c.on_command("follow_up", {"seconds": 0}, now) is None
    assert not c.follow_on, "0 ends it"
