"""Session state machine: every phase and transition, the step table, timing edges, reboot resume."""
from puckcore import session as S
from puckcore.session import Session, step, zone
from puckcore.settings import Settings
from fakes.clock import FakeClock


def _new(warn_s=300, wrapup_s=60, min_break_s=600):
    return Session(Settings({"warn_s": warn_s, "wrapup_s": wrapup_s, "min_break_s": min_break_s})), FakeClock()


def _phases(s):
    got = [p for p, _ in s.changes]
    del s.changes[:]
    return got


def test_step_table():
    assert step(S.IDLE, S.START, 0) == (S.RUNNING, (S.A_BEGIN, S.A_EMIT, S.A_SAVE))
    assert step(S.BREAK, S.START, 0)[0] == S.RUNNING
    assert step(S.ENDED, S.START, 0)[0] == S.RUNNING
    for p in (S.RUNNING, S.WARNING, S.WRAPUP, S.TIMEUP, S.OVERRUN):
        assert step(p, S.START, 0) == (p, ())
        assert step(p, S.STOP, 0)[0] == S.ENDED
        assert step(p, S.EXTEND, 0) == (p, (S.A_EXTEND, S.A_SAVE))
        assert step(p, p, 0) == (p, ())  # same zone: nothing
    assert S.A_FLASH in step(S.RUNNING, S.Z_WARNING, 0)[1]
    assert step(S.WARNING, S.Z_WRAPUP, 0)[0] == S.WRAPUP
    assert step(S.OVERRUN, S.Z_RUNNING, 0)[0] == S.RUNNING  # after an extension
    assert step(S.ENDED, S.ENDED_SHOWN, 0)[0] == S.BREAK
    assert step(S.BREAK, S.BREAK_OVER, 0) == (S.IDLE, (S.A_CLEAR, S.A_EMIT, S.A_SAVE))
    for p in (S.IDLE, S.ENDED, S.BREAK):
        assert step(p, S.STOP, 0) == (p, ())
        assert step(p, S.EXTEND, 0) == (p, ())
        assert step(p, S.Z_WARNING, 0) == (p, ())
    assert step(S.IDLE, S.ENDED_SHOWN, 0) == (S.IDLE, ())


def test_zone_edges():
    assert zone(300001, 300000, 60000, 60000) == S.RUNNING
    assert zone(300000, 300000, 60000, 60000) == S.WARNING
    assert zone(60000, 300000, 60000, 60000) == S.WRAPUP
    assert zone(1, 300000, 60000, 60000) == S.WRAPUP
    assert zone(0, 300000, 60000, 60000) == S.TIMEUP
    assert zone(-59999, 300000, 60000, 60000) == S.TIMEUP
    assert zone(-60000, 300000, 60000, 60000) == S.OVERRUN


def test_full_life_across_the_wrap():
    s, c = _new()
    t0 = c.now_ms()
    assert s.start("s1", 600, 300, t0, "cmd")
    assert _phases(s) == [S.RUNNING]
    assert s.remaining_s(t0) == 600
    c.advance(299999)  # crosses the 2**30 wrap on the way
    assert not s.poll(c.now_ms()) and s.phase == S.RUNNING
    c.advance(1)
    assert s.poll(c.now_ms()) and s.phase == S.WARNING and s.flash
    assert s.remaining_s(c.now_ms()) == 300
    c.advance(240000)
    s.poll(c.now_ms())
    assert s.phase == S.WRAPUP and not s.flash
    c.advance(60000)
    s.poll(c.now_ms())
    assert s.phase == S.TIMEUP and s.remaining_s(c.now_ms()) == 0
    c.advance(60000)
    s.poll(c.now_ms())
    assert s.phase == S.OVERRUN and s.remaining_s(c.now_ms()) == -60
    assert _phases(s) == [S.WARNING, S.WRAPUP, S.TIMEUP, S.OVERRUN]
    assert s.stop(c.now_ms(), "cmd")
    assert s.phase == S.ENDED and s.break_ms(c.now_ms()) == 0
    c.advance(Session.ended_show_s * 1000)
    s.poll(c.now_ms())
    assert s.phase == S.BREAK and s.session == "s1"
    c.advance(Session.break_max_s * 1000)
    s.poll(c.now_ms())
    assert s.phase == S.IDLE and s.session is None
    assert _phases(s) == [S.ENDED, S.BREAK, S.IDLE]
    assert not s.stop(c.now_ms(), "cmd")


def test_start_at_warning_time():
    s, c = _new()
    s.start("s2", 300, 300, c.now_ms(), "cmd")
    assert _phases(s) == [S.RUNNING, S.WARNING]
    assert s.phase == S.WARNING and s.flash
    s2, c2 = _new()
    s2.start("s3", 30, 300, c2.now_ms(), "cmd")  # shorter than the wrap-up time
    assert _phases(s2) == [S.RUNNING, S.WRAPUP]


def test_extend_during_overrun():
    s, c = _new()
    s.start("s4", 120, 300, c.now_ms(), "cmd")
    c.advance(120000 + 90000)
    s.poll(c.now_ms())
    assert s.phase == S.OVERRUN
    _phases(s)
    assert s.extend(600, c.now_ms(), "cmd")
    assert s.limit_s == 720
    assert s.remaining_s(c.now_ms()) == 510
    assert s.phase == S.RUNNING
    assert _phases(s) == [S.RUNNING]
    assert s.extend(60, c.now_ms(), "cmd")  # same zone: still reported (the limit changed)
    assert _phases(s) == [S.RUNNING]
    c.advance(100)
    s.extend(10, c.now_ms(), "cmd")
    assert s.limit_s == 790


def test_extend_and_stop_need_a_session():
    s, c = _new()
    assert not s.extend(60, c.now_ms(), "cmd")
    assert not s.stop(c.now_ms(), "cmd")
    assert s.changes == []


def test_start_twice_is_refused_but_restart_after_end_is_fine():
    s, c = _new()
    assert s.start("a", 600, 300, c.now_ms(), "cmd")
    assert not s.start("b", 600, 300, c.now_ms(), "cmd")
    assert s.session == "a"
    s.stop(c.now_ms(), "cmd")
    c.advance(5000)
    assert s.start("b", 600, 300, c.now_ms(), "cmd")
    assert s.session == "b" and s.phase == S.RUNNING


def test_forgotten_overrun_ends_itself():
    s, c = _new()
    s.start("a", 60, 0, c.now_ms(), "cmd")
    c.advance(60000 + Session.overrun_max_s * 1000)
    s.poll(c.now_ms())
    assert s.phase == S.ENDED
    assert s.changes[-1] == (S.ENDED, "timer")


def test_break_timer_counts_from_the_end():
    s, c = _new()
    s.start("a", 60, 0, c.now_ms(), "cmd")
    c.advance(10000)
    s.stop(c.now_ms(), "cmd")
    c.advance(123456)
    s.poll(c.now_ms())
    assert s.phase == S.BREAK
    assert s.break_ms(c.now_ms()) == 123456


def test_reboot_mid_session_resumes_the_countdown():
    s, c = _new()
    s.start("a", 1800, 300, c.now_ms(), "cmd")
    c.advance(600000)
    s.poll(c.now_ms())
    rec = s.record(c.now_ms())
    assert rec["remaining_ms"] == 1200000 and rec["phase"] == "running"
    # a new boot: a fresh clock far from the old one, a new holder
    s2 = Session(Settings())
    c2 = FakeClock(12345)
    assert s2.restore(rec, c2.now_ms())
    assert s2.changes == [(S.RUNNING, "resume")]
    assert s2.session == "a" and s2.limit_s == 1800
    assert s2.remaining_ms(c2.now_ms()) == 1200000
    c2.advance(900001)
    s2.poll(c2.now_ms())
    assert s2.phase == S.WARNING


def test_reboot_in_overrun_and_in_break():
    s, c = _new()
    s.start("a", 60, 300, c.now_ms(), "cmd")
    c.advance(200000)
    s.poll(c.now_ms())
    rec = s.record(c.now_ms())
    s2 = Session(Settings())
    s2.restore(rec, 7)
    assert s2.phase == S.OVERRUN and s2.remaining_s(7) == -140
    s.stop(c.now_ms(), "cmd")
    c.advance(30000)
    s.poll(c.now_ms())
    rec = s.record(c.now_ms())
    s3 = Session(Settings())
    s3.restore(rec, 1000)
    assert s3.phase == S.BREAK and s3.break_ms(1000) == 30000


def test_restore_rejects_garbage():
    for bad in ({"phase": "nope"}, {"phase": "running"}, {"phase": "running", "remaining_ms": "x"},
                {"phase": "running", "remaining_ms": 5, "limit_s": -1}, {"phase": "break", "session": 5, "break_ms": 1}):
        s = Session(Settings())
        try:
            s.restore(bad, 0)
            ok = False
        except (KeyError, ValueError, TypeError):
            ok = True
        assert ok, bad
    s = Session(Settings())
    assert not s.restore({"phase": "idle"}, 0)
    assert s.phase == S.IDLE
