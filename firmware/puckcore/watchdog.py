"""watchdog — feeds the platform's watchdog only while the audio, ring and link tasks run their loops.

"Alive" means not wedged, never "connected": a Wi-Fi or broker outage keeps the link task looping
through its reconnect path (each attempt checks in), so the puck is not rebooted and keeps its
session clock. A task that stops looping (a mic read that never returns, a publish stuck past every
timeout, a ring write that hangs) stops the feeding, and the platform's watchdog resets the puck:

    wd = Watchdog(hal_watchdog, storage)      hal_watchdog: .feed() (machine.WDT, sd_notify) or None
    wd.checkin(W_AUDIO, now)                  each task, once per loop
    wd.idle(W_LINK)                           a task about to wait for work it cannot see coming (the
                                              link task on its Event, or in its backoff sleep): alive
                                              until it wakes, then its next checkin starts the clock
    wd.feed(now)                              the ring task, every frame: feeds (at most every
                                              `feed_ms`) when no task is silent past its limit

A task is stale when it has not checked in for longer than its limit (`limits_ms`; the link task's
covers one whole connect: Wi-Fi join, TCP, CONNACK). Before the platform resets the puck, the first
stale task is written down (`storage` document "wdt": {"task": name}); the next boot turns it into
`info.reset_reason` "watchdog:<task>" (`boot_reason`) and removes it. A task that comes back in time
clears the note and the feeding resumes.

Per frame this stores one int; nothing is allocated.
"""
from puckcore.ticks import ticks_diff

W_AUDIO = 0
W_RING = 1
W_LINK = 2
NAMES = ("audio", "ring", "link")

NOTE = "wdt"  # the storage document naming the task that stopped the feeding

# info.reset_reason: what the platform says (machine.reset_cause(), or the Pi's OS boot id), and
# "watchdog:<task>" when the feeding stopped for that task before the reset
REASONS = ("power", "hard", "soft", "watchdog", "deepsleep", "unknown")


class Watchdog:
    feed_ms = 1000  # feed the platform at most this often (sd_notify is a syscall)
    limits_ms = (3000, 3000, 90000)  # audio, ring, link: silence past this is wedged

    def __init__(self, hw, storage):
        self.hw = hw  # None: nothing to feed nor to note (the simulator), the check-ins still run
        self.storage = storage
        self._at = [0, 0, 0]
        self._idle = [False, False, False]
        self._started = False
        self._fed = 0
        self.feeds = 0
        self.stalls = 0  # times a task went stale (the feeding stopped)
        self.stale_task = -1  # the task that stopped the feeding now, or -1

    def checkin(self, task, now):
        self._at[task] = now
        self._idle[task] = False

    def idle(self, task):
        self._idle[task] = True

    def stale(self, now):
        """The first task silent past its limit, or -1."""
        for i in range(3):
            if not self._idle[i] and ticks_diff(now, self._at[i]) > self.limits_ms[i]:
                return i
        return -1

    def feed(self, now):
        """Feed the platform if every task is alive; returns True when it fed."""
        if not self._started:  # the tasks start together: none is late before its first loop
            self._started = True
            for i in range(3):
                self._at[i] = now
            self._fed = now
            self._feed_hw(now)
            return True
        bad = self.stale(now)
        if bad >= 0:
            if self.stale_task != bad:
                if self.stale_task < 0:
                    self.stalls += 1
                self.stale_task = bad
                self._note({"task": NAMES[bad]})
            return False
        if self.stale_task >= 0:  # it came back before the reset: forget the note
            self.stale_task = -1
            self._note({})
        if ticks_diff(now, self._fed) >= self.feed_ms:
            self._feed_hw(now)
            return True
        return False

    def _feed_hw(self, now):
        self._fed = now
        self.feeds += 1
        if self.hw is not None:
            self.hw.feed()

    def _note(self, doc):
        if self.hw is None:  # nothing will reset the puck (the simulator): nothing to explain
            return
        try:
            self.storage.save(NOTE, doc)
        except Exception:  # a full or broken filesystem must not stop the feeder's decision
            pass


def boot_reason(hal, storage):
    """`info.reset_reason` for this boot: the platform's cause (hal.reset_reason(), when it has one),
    "watchdog:<task>" when the last boot's feeding stopped for a task; the note is removed."""
    reason = "unknown"
    f = getattr(hal, "reset_reason", None)
    if f is not None:
        try:
            reason = f()
        except Exception:
            reason = "unknown"
        if reason not in REASONS:
            reason = "unknown"
    note = None
    try:
        note = storage.load(NOTE)
    except Exception:
        note = None
    if note and note.get("task") in NAMES:
        # the feeding stopped and the puck restarted: a hardware WDT says "watchdog"; a Pi's
        # systemd restarts the process ("soft"); a power cut after the note cannot be told apart
        # and is reported as what the platform says
        if reason in ("watchdog", "soft", "unknown"):
            reason = "watchdog:" + note["task"]
        try:
            storage.save(NOTE, {})
        except Exception:
            pass
    return reason
