"""ringmodes — the ring's whole-ring modes besides the session phases: voice balance, the ring test,
and the follow-up window. Functions of the Ring (puckcore.ring), split out to keep ring.py short;
integer maths, no allocation.
"""

# voice-balance colours (voice 1..8)
VOICES = bytes((
    0, 150, 255, 255, 160, 0, 0, 220, 120, 255, 60, 150,
    200, 200, 200, 140, 80, 255, 255, 230, 0, 0, 230, 230,
))
FOLLOW = (255, 110, 170)  # follow-up window: soft rose


def _tri(t, period):
    """Triangle wave 0..256..0 over `period` ms (t >= 0)."""
    p = t % period
    v = p * 512 // period
    return v if v <= 256 else 512 - v


def balance(ring, v):
    """Ring segments by share of talk time, one colour per voice, a dark LED between."""
    n = ring.n
    total = 0
    for k in range(1, len(v.voice_ms)):
        total += v.voice_ms[k]
    if total <= 0:
        ring._phase(v)
        return
    start = 0
    for k in range(1, len(v.voice_ms)):
        ms = v.voice_ms[k]
        if ms <= 0:
            continue
        end = start + ring._units(ms, total)
        c = 3 * ((k - 1) % 8)
        first = (start + 128) >> 8  # first LED whose centre is in the segment
        for i in range(first, n):
            centre = i * 256 + 128
            if centre >= end:
                break
            if i == first and start > 0:
                continue  # the gap that marks a new segment
            ring._set(i, VOICES[c], VOICES[c + 1], VOICES[c + 2], 200)
        start = end


def ring_test(ring, t):
    """Ring test: red, green, blue, white in turn, one LED chasing round in each."""
    step = (t // ring.test_step_ms) % 4
    r = 255 if step == 0 or step == 3 else 0
    g = 255 if step == 1 or step == 3 else 0
    b = 255 if step == 2 or step == 3 else 0
    head = (t % ring.test_step_ms) * ring.n // ring.test_step_ms
    for i in range(ring.n):
        ring._set(i, r, g, b, 256 if i == head else 120)


def follow_up(ring, v):
    """The follow-up window after a call: every third LED in soft rose, breathing slowly; the lit ones
    drain clockwise as the window runs out (the rest stay faintly lit, so the pattern still reads)."""
    n = ring.n
    whole = v.follow_total_ms if v.follow_total_ms > v.follow_ms else v.follow_ms
    units = ring._units(v.follow_ms, whole)
    lvl = 170 + (_tri(v.follow_ms, ring.follow_breathe_ms) * 86 >> 8)
    for i in range(0, n, 3):
        ring._set(i, FOLLOW[0], FOLLOW[1], FOLLOW[2], lvl if i * 256 < units else 40)
