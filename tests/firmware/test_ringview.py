"""ringview.fill_view: the view the ring draws from, filled from the controller; the balance timing."""
from puckcore.controller import Controller
from puckcore.gestures import START_HOLD_MS, Gestures
from puckcore.ring import Ring
from puckcore.ringview import BALANCE_EVERY_S, BALANCE_SHOW_S, RingView, balance_now, fill_view
from puckcore.session import IDLE, RUNNING
from puckcore.settings import Settings
from fakes.clock import FakeClock
from fakes.outbox import FakeOutbox


def test_balance_shows_for_its_last_seconds_of_every_period():
    every = BALANCE_EVERY_S * 1000
    show_from = (BALANCE_EVERY_S - BALANCE_SHOW_S) * 1000
    assert not balance_now(0) and not balance_now(show_from - 1)
    assert balance_now(show_from) and balance_now(every - 1)
    assert not balance_now(every) and balance_now(every + show_from)


def test_fill_view_from_the_controller():
    clk = FakeClock()
    c = Controller("puck-a1", "7f3a9c2e", Settings({"balance": True}), FakeOutbox())
    v = RingView()
    now = clk.now_ms()
    fill_view(v, c, now)
    assert (v.phase, v.hands, v.ack_ms, v.identify_ms, v.test_ms, v.balance) == (IDLE, 0, -1, 0, -1, False)
    c.on_command("session_start", {"limit_s": 600, "warn_s": 60}, now)
    c.hold_ms = 1200
    c.mic_paused = True
    c.connected = False
    clk.advance(BALANCE_EVERY_S * 1000 - 1000)
    now = clk.now_ms()
    fill_view(v, c, now)
    assert (v.phase, v.limit_ms, v.warn_ms, v.hold_ms) == (RUNNING, 600000, 60000, 1200)
    assert v.remaining_ms == 600000 - (BALANCE_EVERY_S * 1000 - 1000)
    assert v.mic_paused and not v.connected and v.balance


def test_one_start_hold_constant():
    assert Gestures.start_hold_ms == START_HOLD_MS == Ring.start_hold_ms
    assert not hasattr(Controller, "start_hold_ms")
