"""Ring renderer: every phase draws, the countdown drains smoothly, patterns differ, no allocation."""
from puckcore import session as S
from puckcore.ring import Ring
from puckcore.ringview import RingView
from puckcore.settings import Settings

N = 24


def _view(phase, limit_s=600, remaining_ms=300000, phase_ms=10000):
    v = RingView()
    v.phase = phase
    v.prev_phase = phase
    v.phase_ms = phase_ms
    v.limit_ms = limit_s * 1000
    v.remaining_ms = remaining_ms
    return v


def _draw(v, settings=None, now=1000):
    r = Ring(N, settings or Settings({"gamma": False, "brightness": 255}))
    out = bytearray(3 * N)
    r.render(v, now, out)
    return out


def _lum(out, i):
    return out[3 * i] + out[3 * i + 1] + out[3 * i + 2]


def _lit(out, floor=60):
    """Which LEDs are clearly lit (a pattern that ignores hue)."""
    return [1 if _lum(out, i) > floor else 0 for i in range(N)]


def test_running_arc_is_proportional():
    out = _draw(_view(S.RUNNING, 600, 300000))
    assert _lit(out) == [1] * 12 + [0] * 12
    out = _draw(_view(S.RUNNING, 600, 600000))
    assert _lit(out) == [1] * N


def test_drain_is_smooth():
    prev = None
    total_prev = None
    for ms in range(600000, 0, -5000):
        out = _draw(_view(S.RUNNING, 600, ms))
        total = sum(_lum(out, i) for i in range(N))
        if total_prev is not None:
            assert total <= total_prev  # never grows back
            assert total_prev - total < 3 * 255  # no jump of a whole LED between 5 s frames
        total_prev = total
        prev = out
    assert prev is not None


def test_sub_led_interpolation():
    # 10.5 LEDs' worth left: LED 10 half lit
    out = _draw(_view(S.RUNNING, 2400, 1050000))
    full = _lum(out, 0)
    half = _lum(out, 10)
    assert full > 0 and 0.35 * full < half < 0.65 * full


def test_warning_flashes_once_then_dashes():
    v = _view(S.WARNING, 600, 290000)
    v.flash_ms = 1000  # at the peak of the first pulse: the whole ring
    assert sum(_lit(_draw(v))) == N
    v.flash_ms = -1
    out = _draw(v)
    lit = _lit(out, 150)
    assert lit[0] == 1 and lit[1] == 0 and lit[2] == 1  # dashed arc


def test_phases_differ_by_pattern_not_only_hue():
    frames = {}
    for p in range(8):
        v = _view(p, 600, 200000 if p <= 3 else -300000)
        v.break_ms = 100000
        v.min_break_ms = 600000
        frames[p] = _lit(_draw(v), 150)
    # running, warning, idle, overrun and break are told apart by which LEDs light
    assert frames[S.RUNNING] != frames[S.WARNING]
    idle = _lit(_draw(_view(S.IDLE)), 20)
    assert idle == [1] + [0] * (N - 1)  # one dot at the top
    assert frames[S.BREAK][1] == 0  # every other LED only
    assert frames[S.TIMEUP] == [1] * N
    assert frames[S.OVERRUN] != frames[S.RUNNING]


def test_overrun_grows_anticlockwise_and_does_not_flash():
    v = _view(S.OVERRUN, 600, -180000)  # 3 minutes over: 3/15 of the ring
    a = _lit(_draw(v, now=1000), 150)
    b = _lit(_draw(v, now=1500), 150)
    assert a == b
    assert a[0] == 1 and a[N - 1] == 1 and a[1] == 0
    assert sum(a) in (4, 5, 6)


def test_break_fills_then_shows_ready():
    v = _view(S.BREAK)
    v.min_break_ms = 600000
    v.break_ms = 600000
    out = _draw(v)
    assert _lit(out, 60) == [1, 0] * (N // 2)
    assert out[1] > out[2]  # ready: green, not the blue of a break still being taken


def test_follow_up_window_shows_in_place_of_the_break_fill_and_drains():
    v = _view(S.BREAK)
    v.min_break_ms = 600000
    v.break_ms = 100000
    v.follow_total_ms = 1800000
    v.follow_ms = 1800000
    full = _draw(v)
    assert _lit(full, 120) == [1, 0, 0] * (N // 3), "every third LED: not the break's every other"
    assert full[0] > full[2] > full[1], "soft rose"
    v.follow_ms = 600000
    third = _draw(v)
    assert _lit(third, 120) == [1, 0, 0] * 3 + [0] * (N - 9), "a third left: a third of them lit"
    assert all(_lum(third, i) > 0 for i in range(0, N, 3)), "the rest stay faintly lit"
    v.phase = v.prev_phase = S.IDLE
    assert _lit(_draw(v), 120) == _lit(third, 120), "after the break too, until the window ends"
    v.follow_ms = 0
    assert _lit(_draw(v), 1) == [1] + [0] * (N - 1), "ended: the idle dot again"
    v.phase = v.prev_phase = S.RUNNING
    v.follow_ms = 600000
    assert _lit(_draw(v)) == [1] * 12 + [0] * 12, "a new session's arc wins over a follow-up window"


def test_overlays_positions():
    v = _view(S.RUNNING, 600, 600000)
    v.hands = 2
    v.mic_paused = True
    out = _draw(v)
    bottom = N // 2
    assert _lum(out, bottom - 1) > 600 and _lum(out, bottom + 1) > 200  # two pips
    assert _lum(out, bottom) < 150  # a gap between them
    assert out[3 * (N // 4)] > 200 and out[3 * (N // 4) + 1] == 0  # mic paused markers at 3 and 9 o'clock
    assert out[3 * (3 * N // 4)] > 200


def test_identify_blinks_whole_ring():
    v = _view(S.IDLE)
    v.identify_ms = 9999 - 9999 % 1000  # an even half-period: on
    on = _draw(v)
    v.identify_ms -= Ring.identify_period_ms
    off = _draw(v)
    assert sum(_lit(on)) == N and sum(_lit(off)) <= 1


def test_brightness_cap_gamma_night():
    v = _view(S.RUNNING, 600, 600000)
    full = _draw(v, Settings({"gamma": False, "brightness": 255}))
    capped = _draw(v, Settings({"gamma": False, "brightness": 64}))
    night = _draw(v, Settings({"gamma": False, "brightness": 255, "night": True}))
    gamma = _draw(v, Settings({"gamma": True, "brightness": 255}))
    assert max(capped) <= 64 and max(full) > 150
    assert max(night) <= Ring.night_cap
    assert 0 < gamma[2] < full[2]  # a mid level is lower after gamma


def test_ring_test_pattern():
    v = _view(S.IDLE)
    v.test_ms = 0
    out = _draw(v)
    assert out[0] > 0 and out[1] == 0 and out[2] == 0  # red first


def test_render_allocates_nothing():
    try:
        import gc
        gc.mem_alloc
    except (ImportError, AttributeError):
        return  # CPython: the check runs under MicroPython
    r = Ring(N, Settings({"balance": True}))
    out = bytearray(3 * N)
    views = []
    for p in range(8):
        v = _view(p, 600, 100000 if p <= 3 else -100000)
        v.hands = 3
        v.ack_ms = 500
        v.mic_paused = True
        v.connected = False
        v.flash_ms = 500
        v.hold_ms = 1000
        v.min_break_ms = 600000
        v.break_ms = 1000
        views.append(v)
    bal = _view(S.RUNNING)
    bal.balance = True
    bal.voice_ms[1] = 1000
    bal.voice_ms[2] = 3000
    views.append(bal)
    t = _view(S.IDLE)
    t.test_ms = 100
    views.append(t)
    f = _view(S.BREAK)
    f.follow_ms = 600000
    f.follow_total_ms = 1800000
    views.append(f)
    for v in views:
        r.render(v, 1000, out)  # warm up
    gc.collect()
    gc.disable()
    try:
        before = gc.mem_alloc()
        for v in views:
            for now in range(1000, 3000, 250):
                r.render(v, now, out)
        after = gc.mem_alloc()
    finally:
        gc.enable()
    assert after == before, "render allocated %d bytes" % (after - before)


def _signature(v, times=(0, 700, 1400, 2100)):
    """What a person who sees no hue at all sees: per LED brightness steps, over two seconds."""
    sig = []
    base = v.phase_ms
    for dt in times:
        v.phase_ms = base + dt
        if v.flash_ms >= 0:
            v.flash_ms = dt
        out = _draw(v)
        sig.append(tuple(_lum(out, i) // 120 for i in range(N)))
    v.phase_ms = base
    return tuple(sig)


def test_colour_blind_every_phase_has_its_own_pattern():
    sigs = {}
    for p in range(8):
        left = (0, 900000, 200000, 40000, -10000, -300000, 0, 0)[p]  # a typical moment of each phase
        v = _view(p, 1800, left, phase_ms=2000)
        v.warn_ms = 300000
        v.break_ms = 300000
        v.min_break_ms = 600000
        sigs[p] = _signature(v)
    v = _view(S.WARNING, 1800, 299000, phase_ms=0)  # the warning pulse itself
    v.warn_ms = 300000
    v.flash_ms = 0
    sigs["pulse"] = _signature(v)
    keys = list(sigs)
    for i in range(len(keys)):
        for j in range(i + 1, len(keys)):
            assert sigs[keys[i]] != sigs[keys[j]], (keys[i], keys[j])


def test_colour_blind_overlays_differ_by_position():
    def changed(setup):
        v = _view(S.RUNNING, 600, 600000)
        base = _draw(v, now=100)
        setup(v)
        out = _draw(v, now=100)  # 100 ms: inside the connection-lost blink
        return set(i for i in range(N) if _lum(out, i) != _lum(base, i))

    def hands(v):
        v.hands = 1

    def mic(v):
        v.mic_paused = True

    def lost(v):
        v.connected = False

    hand_at = changed(hands)
    mic_at = changed(mic)
    lost_at = changed(lost)
    assert N // 2 in hand_at and not (hand_at & mic_at) and not (hand_at & lost_at) and not (mic_at & lost_at)
    assert lost_at == {0}
    assert (N // 4) in mic_at and (3 * N // 4) in mic_at
