"""hal_bench — per-frame cost and heap growth of the device HAL's own work (I2S conversion, ring
copy, PCM read) under the MicroPython unix port and CPython; appends to bench/RESULTS.md.

    .venv/bin/python bench/hal_bench.py      (from the repo root)
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import results  # noqa: E402  bench/results.py: shared runner and RESULTS.md writer



def main():
    os.makedirs(os.path.join(ROOT, "build"), exist_ok=True)
    env = dict(os.environ)
    env["MICROPYPATH"] = "firmware:firmware/lib:.frozen"
    results.mp_vs_cpython("hal_mp.py", [], env, "device HAL per-frame work", "step",
                          "Device HAL work per 20 ms frame (320 samples, 24 LEDs), 500 frames each. The frame "
                          "budget is 20000 us; not measured on a device yet (no hardware here).")

if __name__ == "__main__":
    main()
