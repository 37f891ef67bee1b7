"""ring_bench — time the ring renderer per frame under MicroPython (unix port) and CPython, check the
heap does not grow, and append the figures to bench/RESULTS.md.

    .venv/bin/python bench/ring_bench.py [LEDS]      (from the repo root)
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
try:
    import results  # bench/results.py: the shared "append to RESULTS.md with date, machine, command"
except ImportError:  # a tree without it: print only
    results = None


def measure(cmd, env):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300, check=True)
    return [line.split() for line in r.stdout.strip().splitlines()]


def main():
    leds = sys.argv[1] if len(sys.argv) > 1 else "24"
    env = dict(os.environ)
    env["MICROPYPATH"] = os.path.join(ROOT, "firmware")
    env["PYTHONPATH"] = os.path.join(ROOT, "firmware")
    mp = os.path.join(os.path.dirname(sys.executable), "micropython")
    rows_mp = measure([mp, "-X", "heapsize=4M", os.path.join(HERE, "ring_mp.py"), leds], env)
    rows_py = measure([sys.executable, os.path.join(HERE, "ring_mp.py"), leds], env)
    lines = ["Ring render, %s LEDs, through Controller.render, hands + mic-paused + connection-lost overlays on; "
             "500 frames per phase." % leds, "",
             "| phase | MicroPython unix us/frame | heap growth over 500 frames (bytes) | CPython us/frame |",
             "|---|---|---|---|"]
    for (label, us_mp, grown), (_, us_py, _g) in zip(rows_mp, rows_py):
        lines.append("| %s | %s | %s | %s |" % (label, us_mp, grown, us_py))
    print("\n".join(lines))
    if results is not None:
        results.append("ring render", lines)


if __name__ == "__main__":
    main()
