"""voicevec_cost — the voice vector's added work under the MicroPython unix port (issue 15), recorded.

Usage: .venv/bin/python bench/voicevec_cost.py [--no-record]
Minimum of repeated calls (bench/voicevec_cost_mp.py), so it holds on a busy shared machine where
bench/budget.py's mean and maximum do not.
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from results import append  # noqa: E402


def main():
    mp = os.path.join(os.path.dirname(sys.executable), "micropython")
    env = dict(os.environ, MICROPYPATH=os.path.join(ROOT, "firmware"))
    r = subprocess.run([mp, os.path.join(HERE, "voicevec_cost_mp.py")], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=300, check=True)
    print(r.stdout)
    if "--no-record" not in sys.argv:
        rows = ["| work | minimum us |", "|---|---|"]
        for line in r.stdout.splitlines():
            label, _, value = line.rpartition(" ")
            rows.append("| %s | %s |" % (label, value))
        rows.append("| load_avg_1min | %.2f |" % os.getloadavg()[0])
        append("Voice vector (issue 15): added work under the MicroPython unix port (minimum of repeated calls)", rows)


if __name__ == "__main__":
    main()
