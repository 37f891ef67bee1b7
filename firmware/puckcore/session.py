"""session — the session state machine: countdown, warning, wrap-up, time up, overrun, end, break.

Phases (small ints; `NAMES[phase]` is the protocol's name, §3.2):

    IDLE 0, RUNNING 1, WARNING 2, WRAPUP 3, TIMEUP 4, OVERRUN 5, ENDED 6, BREAK 7

Events: START, STOP, EXTEND (commands or the start gesture); the zone events Z_RUNNING..Z_OVERRUN
(equal to the phase numbers 1..5) say which part of the countdown the remaining time is in now
(`zone()`); ENDED_SHOWN and BREAK_OVER are the end of the ended display and of a long break.

Transition table of `step(phase, event, now_ms)` -> (phase, actions):

    phase                      event            next phase   actions
    IDLE / ENDED / BREAK       START            RUNNING      BEGIN EMIT SAVE
    RUNNING..OVERRUN           START            (same)       -            (a session is running)
    RUNNING..OVERRUN           STOP             ENDED        END EMIT SAVE
    RUNNING..OVERRUN           EXTEND           (same)       EXTEND SAVE  (the holder re-zones)
    RUNNING..OVERRUN           Z_x, x != phase  x            EMIT SAVE    (+ FLASH when x is WARNING)
    ENDED                      ENDED_SHOWN      BREAK        EMIT SAVE
    BREAK                      BREAK_OVER       IDLE         CLEAR EMIT SAVE
    anything else                               (same)       -

Zones go forward as time passes (running -> warning -> wrapup -> timeup -> overrun) and may go
back after an extension (an overrun extended by ten minutes is running or warning again). A
countdown that jumps a zone (a long stall, a resume after a reboot) enters only the zone it lands
in. A session started with no more than `warn_s` left enters RUNNING then at once WARNING.

`Session` is the thin holder: it keeps the deadline in ticks (wrap-safe, `puckcore.ticks`), applies
the actions, and queues each phase change in `changes` as (phase, cause) for the controller, which
turns them into `evt/session` events and the retained `state`.

Reboot: ticks restart at boot, so a deadline is meaningless across one. `record()` stores what is
*left* (remaining ms of a countdown, or the ms of a break already taken) and `restore()` re-anchors
that to the new boot's clock. The time the puck was off is not known (the core has no wall clock),
so it is not counted: a resumed countdown carries on from the last save and gives the room back the
outage plus at most one save interval (`Controller.persist_every_s`), never takes time away.
"""
from puckcore.ticks import ticks_add, ticks_diff

IDLE = 0
RUNNING = 1
WARNING = 2
WRAPUP = 3
TIMEUP = 4
OVERRUN = 5
ENDED = 6
BREAK = 7
NAMES = ("idle", "running", "warning", "wrapup", "timeup", "overrun", "ended", "break")

# events (zone events are the phase numbers RUNNING..OVERRUN)
Z_RUNNING = RUNNING
Z_WARNING = WARNING
Z_WRAPUP = WRAPUP
Z_TIMEUP = TIMEUP
Z_OVERRUN = OVERRUN
START = 10
STOP = 11
EXTEND = 12
ENDED_SHOWN = 13
BREAK_OVER = 14

# actions
A_BEGIN = 1  # take the pending session (id, limit, warn) and set the deadline
A_END = 2  # note when the session ended (the break counts from here)
A_EXTEND = 3  # move the deadline by the pending extension
A_CLEAR = 4  # forget the session
A_EMIT = 5  # queue a phase change (evt/session, state)
A_SAVE = 6  # the persisted record changed
A_FLASH = 7  # show the warning once, clearly

_NONE = ()
_BEGIN = (A_BEGIN, A_EMIT, A_SAVE)
_END = (A_END, A_EMIT, A_SAVE)
_EXTEND = (A_EXTEND, A_SAVE)
_MOVE = (A_EMIT, A_SAVE)
_WARN = (A_EMIT, A_SAVE, A_FLASH)
_CLEAR = (A_CLEAR, A_EMIT, A_SAVE)


def in_session(phase):
    return RUNNING <= phase <= OVERRUN


def zone(remaining_ms, warn_ms, wrapup_ms, timeup_ms):
    """The countdown zone (RUNNING..OVERRUN) for this much time left (negative: past the limit)."""
    if remaining_ms > warn_ms:
        return RUNNING
    if remaining_ms > wrapup_ms:
        return WARNING
    if remaining_ms > 0:
        return WRAPUP
    if remaining_ms > -timeup_ms:
        return TIMEUP
    return OVERRUN


def step(phase, event, now_ms):
    """Pure transition: (phase, event) -> (next phase, actions). See the table above."""
    if event == START:
        if phase == IDLE or phase == ENDED or phase == BREAK:
            return RUNNING, _BEGIN
        return phase, _NONE
    if in_session(phase):
        if event == STOP:
            return ENDED, _END
        if event == EXTEND:
            return phase, _EXTEND
        if RUNNING <= event <= OVERRUN and event != phase:
            return event, (_WARN if event == WARNING else _MOVE)
        return phase, _NONE
    if phase == ENDED and event == ENDED_SHOWN:
        return BREAK, _MOVE
    if phase == BREAK and event == BREAK_OVER:
        return IDLE, _CLEAR
    return phase, _NONE


class Session:
    """Holds one puck's session: phase, id, limit, deadline (ticks); applies `step`'s actions."""

    timeup_s = 60  # time up shows this long past the limit, then overrun counts up
    ended_show_s = 20  # the ended display, then the break timer
    break_max_s = 4 * 3600  # a break longer than this is no longer "between calls": idle
    overrun_max_s = 3600  # an overrun this long ends the session by itself (nobody is there)
    limit_max_s = 86400  # longest session (keeps every ms value far inside +-2**30)

    def __init__(self, settings):
        self.settings = settings
        self.phase = IDLE
        self.phase_ms = 0  # ticks when the current phase was entered
        self.prev_phase = IDLE  # the phase before (the ring crossfades from it)
        self.session = None  # session id
        self.limit_s = 0
        self.warn_s = settings.warn_s
        self.wrapup_s = settings.wrapup_s
        self.deadline = 0  # ticks when the countdown reaches zero
        self.ended_ms = 0  # ticks when the last session ended (the break counts from here)
        self.has_ended = False  # a session ended this boot (or restored): the break timer is valid
        self.flash_ms = 0  # ticks when the warning flash started
        self.flash = False
        self.changes = []  # (phase, cause) queued for the controller, oldest first
        self._pending = None  # (session, limit_s, warn_s) for A_BEGIN
        self._add_s = 0  # seconds for A_EXTEND
        self.save_due = False

    # --- queries -------------------------------------------------------------------------------
    def remaining_ms(self, now_ms):
        """ms left on the countdown (negative in overrun); 0 with no session."""
        if not in_session(self.phase):
            return 0
        return ticks_diff(self.deadline, now_ms)

    def remaining_s(self, now_ms):
        """Whole seconds left, rounded up (so 0 means the limit is reached); negative in overrun."""
        ms = self.remaining_ms(now_ms)
        return -((-ms) // 1000)

    def break_ms(self, now_ms):
        """ms since the last session ended (0 when none is known)."""
        if not self.has_ended:
            return 0
        return ticks_diff(now_ms, self.ended_ms)

    def phase_age_ms(self, now_ms):
        return ticks_diff(now_ms, self.phase_ms)

    # --- inputs --------------------------------------------------------------------------------
    def start(self, session, limit_s, warn_s, now_ms, cause):
        """Start a countdown. Returns False when a session is already running."""
        self._pending = (session, limit_s, warn_s)
        if not self._feed(START, now_ms, cause):
            return False
        self.poll(now_ms)  # a short session goes straight on to its zone
        return True

    def extend(self, add_s, now_ms, cause):
        """Add time (and to the limit). Returns False when no session is running."""
        if not in_session(self.phase):
            return False
        self._add_s = add_s
        before = self.phase
        n = len(self.changes)
        self._feed(EXTEND, now_ms, cause)
        self._rezone(now_ms, cause)
        if self.phase == before and len(self.changes) == n:
            self.changes.append((self.phase, cause))  # the limit changed: tell the host anyway
        return True

    def stop(self, now_ms, cause):
        """End the session. Returns False when no session is running."""
        return self._feed(STOP, now_ms, cause)

    def poll(self, now_ms):
        """Move the phase on with the clock; call it every tick. Returns True on a phase change."""
        phase = self.phase
        if in_session(phase):
            if self.remaining_ms(now_ms) <= -self.overrun_max_s * 1000:
                return self._feed(STOP, now_ms, "timer")
            return self._rezone(now_ms, "timer")
        if phase == ENDED and self.phase_age_ms(now_ms) >= self.ended_show_s * 1000:
            return self._feed(ENDED_SHOWN, now_ms, "timer")
        if phase == BREAK and self.break_ms(now_ms) >= self.break_max_s * 1000:
            return self._feed(BREAK_OVER, now_ms, "timer")
        return False

    def _rezone(self, now_ms, cause):
        z = zone(self.remaining_ms(now_ms), self.warn_s * 1000, self.wrapup_s * 1000, self.timeup_s * 1000)
        return self._feed(z, now_ms, cause)

    def _feed(self, event, now_ms, cause):
        phase, actions = step(self.phase, event, now_ms)
        if not actions:
            return False
        for a in actions:
            if a == A_BEGIN:
                sid, limit_s, warn_s = self._pending  # pyright: ignore[reportGeneralTypeIssues]  (set with A_BEGIN)
                self._pending = None
                self.session = sid
                self.limit_s = limit_s
                self.warn_s = warn_s
                self.wrapup_s = self.settings.wrapup_s
                self.deadline = ticks_add(now_ms, limit_s * 1000)
                self.flash = False
            elif a == A_END:
                self.ended_ms = now_ms
                self.has_ended = True
                self.flash = False
            elif a == A_EXTEND:
                self.deadline = ticks_add(self.deadline, self._add_s * 1000)
                self.limit_s += self._add_s
            elif a == A_CLEAR:
                self.session = None
                self.limit_s = 0
                self.has_ended = False
            elif a == A_FLASH:
                self.flash = True
                self.flash_ms = now_ms
            elif a == A_SAVE:
                self.save_due = True
        if phase != self.phase:
            self.prev_phase = self.phase
            self.phase = phase
            self.phase_ms = now_ms
            if phase != WARNING:
                self.flash = False
        if A_EMIT in actions:
            self.changes.append((phase, cause))
        return True

    # --- persistence ---------------------------------------------------------------------------
    def record(self, now_ms):
        """What to persist: JSON-serialisable, relative to now (ticks do not survive a reboot)."""
        d = {"phase": NAMES[self.phase], "session": self.session, "limit_s": self.limit_s,
             "warn_s": self.warn_s, "wrapup_s": self.wrapup_s}
        if in_session(self.phase):
            d["remaining_ms"] = self.remaining_ms(now_ms)
        if self.has_ended:
            d["break_ms"] = self.break_ms(now_ms)
        return d

    def restore(self, d, now_ms):
        """Resume from `record()`'s dict (see the module docstring). Returns True when a session or
        break was resumed (queued as a change with cause "resume"). Raises ValueError/KeyError/
        TypeError on a malformed record; the caller starts clean."""
        name = d["phase"]
        if name not in NAMES:
            raise ValueError("phase")
        phase = NAMES.index(name)
        if phase == IDLE:
            return False
        limit_s = int(d.get("limit_s", 0))
        warn_s = int(d.get("warn_s", self.settings.warn_s))
        wrapup_s = int(d.get("wrapup_s", self.settings.wrapup_s))
        if not (0 <= limit_s <= self.limit_max_s and 0 <= warn_s <= 86400 and 0 <= wrapup_s <= 86400):
            raise ValueError("limits")
        sid = d.get("session")
        if sid is not None and type(sid) is not str:
            raise TypeError("session")
        if in_session(phase):
            rem = int(d["remaining_ms"])
            lo = -self.overrun_max_s * 1000
            if rem < lo:
                rem = lo
            if rem > self.limit_max_s * 1000:
                rem = self.limit_max_s * 1000
            self.deadline = ticks_add(now_ms, rem)
            phase = zone(rem, warn_s * 1000, wrapup_s * 1000, self.timeup_s * 1000)
        if "break_ms" in d:
            b = int(d["break_ms"])
            if b < 0:
                b = 0
            if b > self.break_max_s * 1000:
                b = self.break_max_s * 1000
            self.ended_ms = ticks_add(now_ms, -b)
            self.has_ended = True
        elif not in_session(phase):
            return False  # an ended/break record without its timer: nothing to resume
        self.session = sid
        self.limit_s = limit_s
        self.warn_s = warn_s
        self.wrapup_s = wrapup_s
        self.prev_phase = phase
        self.phase = phase
        self.phase_ms = now_ms
        self.changes.append((phase, "resume"))
        self.save_due = True
        return True
