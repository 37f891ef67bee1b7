"""hal_bench — per-frame cost and heap growth of the device HAL's own work (I2S conversion, ring
copy, PCM read) under the MicroPython unix port and CPython; appends to bench/RESULTS.md.

    .venv/bin/python bench/hal_bench.py      (from the repo root)
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
try:
    import results
except ImportError:
    results = None


def measure(cmd, env):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300, check=True)
    return [line.split() for line in r.stdout.strip().splitlines()]


def main():
    os.makedirs(os.path.join(ROOT, "build"), exist_ok=True)
    env = dict(os.environ)
    env["MICROPYPATH"] = "firmware:firmware/lib:.frozen"
    mp = os.path.join(os.path.dirname(sys.executable), "micropython")
    rows_mp = measure([mp, "-X", "heapsize=4M", os.path.join(HERE, "hal_mp.py")], env)
    rows_py = measure([sys.executable, os.path.join(HERE, "hal_mp.py")], env)
    lines = ["Device HAL work per 20 ms frame (320 samples, 24 LEDs), 500 frames each. The frame budget is "
             "20000 us; not measured on a device yet (no hardware here).", "",
             "| step | MicroPython unix us/frame | heap growth over 500 frames (bytes) | CPython us/frame |",
             "|---|---|---|---|"]
    for (label, us_mp, grown), (_l, us_py, _g) in zip(rows_mp, rows_py):
        lines.append("| %s | %s | %s | %s |" % (label, us_mp, grown, us_py))
    print("\n".join(lines))
    if results is not None:
        results.append("device HAL per-frame work", lines)


if __name__ == "__main__":
    main()
