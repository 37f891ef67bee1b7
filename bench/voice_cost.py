"""voice_cost — the voice work's added cost under the MicroPython unix port (issue 15), recorded.

Usage: .venv/bin/python bench/voice_cost.py [--vector] [--no-record]
Without --vector: the remote cue (bench/voice_cost_mp.py); with it: the learned voice vector
(bench/voicevec_cost_mp.py). Minimum of repeated calls, so it holds on a busy shared machine where
bench/budget.py's mean and maximum do not.
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from results import append  # noqa: E402

PARTS = {  # option -> (the MicroPython script, the RESULTS.md title)
    "": ("voice_cost_mp.py", "Remote-voice cue: added work under the MicroPython unix port (minimum of repeated calls)"),
    "--vector": ("voicevec_cost_mp.py",
                 "Voice vector (issue 15): added work under the MicroPython unix port (minimum of repeated calls)"),
}


def main():
    script, title = PARTS["--vector" if "--vector" in sys.argv else ""]
    mp = os.path.join(os.path.dirname(sys.executable), "micropython")
    env = dict(os.environ, MICROPYPATH=os.path.join(ROOT, "firmware"))
    r = subprocess.run([mp, os.path.join(HERE, script)], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=300, check=True)
    print(r.stdout)
    if "--no-record" not in sys.argv:
        rows = ["| work | minimum us |", "|---|---|"]
        for line in r.stdout.splitlines():
            label, _, value = line.rpartition(" ")
            rows.append("| %s | %s |" % (label, value))
        rows.append("| load_avg_1min | %.2f |" % os.getloadavg()[0])
        append(title, rows)


if __name__ == "__main__":
    main()
