"""ring_bench — time the ring renderer per frame under MicroPython (unix port) and CPython, check the
heap does not grow, and append the figures to bench/RESULTS.md.

    .venv/bin/python bench/ring_bench.py [LEDS]      (from the repo root)
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import results  # noqa: E402  bench/results.py: shared runner and RESULTS.md writer



def main():
    leds = sys.argv[1] if len(sys.argv) > 1 else "24"
    env = dict(os.environ)
    env["MICROPYPATH"] = os.path.join(ROOT, "firmware")
    env["PYTHONPATH"] = os.path.join(ROOT, "firmware")
    results.mp_vs_cpython("ring_mp.py", [leds], env, "ring render", "phase",
                          "Ring render, %s LEDs, through Controller.render, hands + mic-paused + connection-lost "
                          "overlays on; 500 frames per phase." % leds)

if __name__ == "__main__":
    main()
