"""ringview — the numbers the ring renderer draws from, and `fill_view()` that fills them each frame.

Plain int/bool attributes (no allocation when they change); times are ms relative to now, so the
renderer needs no clock. -1 means "not active" for the *_ms ages. `fill_view(view, ctrl, now_ms)`
copies them from the Controller (called by `Controller.render`); the voice-balance timing lives here.
"""
from puckcore.session import IDLE, in_session
from puckcore.ticks import ticks_diff

MAX_VOICES = 8


class RingView:
    def __init__(self):
        self.phase = IDLE  # session phase (puckcore.session)
        self.prev_phase = IDLE  # the phase before (crossfade)
        self.phase_ms = 0  # ms since the phase was entered
        self.limit_ms = 0  # the session's limit
        self.remaining_ms = 0  # ms left (negative in overrun)
        self.warn_ms = 0  # the session's warning time (the ring zooms to it in warning and wrap-up)
        self.flash_ms = -1  # ms since the warning flash began, -1 when none
        self.break_ms = 0  # ms since the last session ended
        self.min_break_ms = 0
        self.hands = 0  # hands waiting on this puck
        self.ack_ms = -1  # ms since the last acknowledgement, -1 when none
        self.identify_ms = 0  # ms of identify blinking left (0: off)
        self.test_ms = -1  # ms since the ring test began, -1 when none
        self.follow_ms = 0  # ms of the follow-up window left (0: none)
        self.follow_total_ms = 0  # the follow-up window's length
        self.connected = True
        self.mic_paused = False
        self.talking = False
        self.hold_ms = 0  # the button has been held this long in tap-tap-hold (start progress)
        self.balance = False  # show the voice-balance view now
        self.voice_ms = [0] * (MAX_VOICES + 1)  # talk time per voice (index 1..MAX_VOICES)


# --- filling the view from the controller, once per frame (allocates nothing) ----------------------
BALANCE_EVERY_S = 60  # with settings.balance: the balance view shows for BALANCE_SHOW_S ...
BALANCE_SHOW_S = 6  # ... once every BALANCE_EVERY_S during a session


def balance_now(age_ms):
    """Whether the voice-balance view shows `age_ms` into the current phase of a session."""
    return age_ms % (BALANCE_EVERY_S * 1000) >= (BALANCE_EVERY_S - BALANCE_SHOW_S) * 1000


def fill_view(v, ctrl, now_ms):
    """Copy what the ring draws from the controller `ctrl` (its session, settings, hands, overlays)
    into the RingView `v`; times become ms relative to `now_ms`."""
    s = ctrl.session
    v.phase = s.phase
    v.prev_phase = s.prev_phase
    v.phase_ms = ticks_diff(now_ms, s.phase_ms)
    v.limit_ms = s.limit_s * 1000
    v.remaining_ms = s.remaining_ms(now_ms)
    v.warn_ms = s.warn_s * 1000
    v.flash_ms = ticks_diff(now_ms, s.flash_ms) if s.flash else -1
    v.break_ms = s.break_ms(now_ms)
    v.min_break_ms = ctrl.settings.min_break_s * 1000
    hands = ctrl.hands
    v.hands = hands.count
    v.ack_ms = ticks_diff(now_ms, hands.last_ack_ms) if hands.acked else -1
    v.identify_ms = ticks_diff(ctrl.identify_until, now_ms) if ctrl.identify_on else 0
    v.test_ms = ticks_diff(now_ms, ctrl.test_from) if ctrl.test_on else -1
    f = ticks_diff(ctrl.follow_until, now_ms) if ctrl.follow_on else 0
    v.follow_ms = f if f > 0 else 0
    v.follow_total_ms = ctrl.follow_total_ms
    v.connected = ctrl.connected
    v.mic_paused = ctrl.mic_paused
    v.talking = ctrl.talking
    v.hold_ms = ctrl.hold_ms
    v.balance = bool(ctrl.settings.balance) and in_session(s.phase) and balance_now(v.phase_ms)
