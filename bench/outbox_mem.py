"""outbox_mem — bytes of heap per queued event in the puck's outbox (MicroPython unix port, or CPython).

Run from the repo root:  .venv/bin/python bench/outbox_mem.py   (runs itself under .venv/bin/micropython
and appends the figures to bench/RESULTS.md), or directly:
MICROPYPATH=firmware .venv/bin/micropython bench/outbox_mem.py [EVENTS]

Fills an outbox with realistic `turn` events (the largest kind the puck sends often) and measures
the heap the queued events hold (gc.mem_alloc after a collect, before and after).
"""
import sys

try:
    import gc

    gc.mem_alloc  # noqa: B018 (MicroPython has it, CPython does not: the probe is the point)
except (ImportError, AttributeError):
    gc = None


def measure(n):
    from puckcore.outbox import Outbox

    gc.collect()
    a0 = gc.mem_alloc()
    o = Outbox("7f3a9c2e", capacity=n)
    gc.collect()
    a1 = gc.mem_alloc()
    for i in range(n):
        ms = 600000 + i * 2000
        o.add("turn", {"start_ms": ms - 1800, "end_ms": ms, "voice": 3, "conf": 87, "level_db": -31}, ms)
    gc.collect()
    a2 = gc.mem_alloc()
    return a1 - a0, a2 - a1, len(o.peek()[2])


def main_mp():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 360
    empty, full, payload = measure(n)
    print("events %d empty_outbox_bytes %d queued_bytes %d per_event %d payload %d" % (n, empty, full, full // n, payload))


def main_cpython():
    import os
    import subprocess

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import results

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    mp = os.path.join(root, ".venv", "bin", "micropython")
    env = dict(os.environ, MICROPYPATH=os.path.join(root, "firmware"))
    out = subprocess.run([mp, os.path.abspath(__file__), "360"], env=env, capture_output=True, text=True,
                         check=True, cwd=root).stdout.split()
    fig = dict(zip(out[0::2], (int(x) for x in out[1::2])))
    per = fig["per_event"]
    # 32-bit boards: pointers and object headers halve; each object rounds up to a 16-byte GC block
    est32 = 16 + (fig["payload"] + 1 + 15) // 16 * 16
    rows = ["| figure | value |", "|---|---|",
            "| events queued | %d |" % fig["events"],
            "| empty outbox (slot tables) | %d bytes |" % fig["empty_outbox_bytes"],
            "| queued events, unix port (64-bit) | %d bytes, %d per event |" % (fig["queued_bytes"], per),
            "| turn payload | %d bytes |" % fig["payload"],
            "| estimate on a 32-bit board | %d bytes per event, %d KB for %d |" % (est32, est32 * fig["events"] // 1024, fig["events"])]
    print("\n".join(rows))
    results.append("Outbox heap per queued event (MicroPython unix port)", rows)


if __name__ == "__main__":
    if sys.implementation.name == "micropython":
        main_mp()
    else:
        main_cpython()
