"""ringview — the numbers the ring renderer draws from, filled in by the controller each frame.

Plain int/bool attributes (no allocation when they change); times are ms relative to now, so the
renderer needs no clock. -1 means "not active" for the *_ms ages.
"""

MAX_VOICES = 8


class RingView:
    def __init__(self):
        self.phase = 0  # session phase (puckcore.session)
        self.prev_phase = 0  # the phase before (crossfade)
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
        self.connected = True
        self.mic_paused = False
        self.talking = False
        self.hold_ms = 0  # the button has been held this long in tap-tap-hold (start progress)
        self.balance = False  # show the voice-balance view now
        self.voice_ms = [0] * (MAX_VOICES + 1)  # talk time per voice (index 1..MAX_VOICES)
