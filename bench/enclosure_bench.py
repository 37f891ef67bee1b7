"""enclosure_bench — how long openscad takes to render the enclosure (hardware/enclosure/talkpuck.scad) to STL.

The issue asks for an STL in under 30 s; tests/hardware/test_enclosure.py renders it but does not
time it (no timed asserts in tests). Prints wall and CPU seconds per part and appends them to
bench/RESULTS.md. Run: .venv/bin/python bench/enclosure_bench.py
"""
import os
import resource
import subprocess
import sys
import tempfile
import time

import results  # bench/results.py

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCAD = os.path.join(ROOT, "hardware", "enclosure", "talkpuck.scad")
PARTS = ["print", "body", "lid"]


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main():
    version = subprocess.run(["openscad", "--version"], capture_output=True, text=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for part in PARTS:
            out = os.path.join(tmp, part + ".stl")
            c0, t0 = cpu_children(), time.monotonic()
            subprocess.run(["openscad", "-D", 'part="%s"' % part, "-o", out, SCAD], check=True,
                           capture_output=True, timeout=600)
            wall, cpu = time.monotonic() - t0, cpu_children() - c0
            with open(out) as f:
                facets = sum(1 for line in f if line.lstrip().startswith("facet"))
            rows.append((part, wall, cpu, facets))
            print("%-6s wall %.1f s  cpu %.1f s  %d facets" % (part, wall, cpu, facets))
    lines = ["%s, `segments` = 64 (the file's default). Wall time includes waiting for a shared CPU; "
             "CPU time is what the render itself needs. Target: under 30 s." % (version.stderr or version.stdout).strip(), "",
             "| part | wall s | CPU s | facets |", "|---|---|---|---|"]
    lines += ["| %s | %.1f | %.1f | %d |" % r for r in rows]
    results.append("enclosure render to STL", lines)


if __name__ == "__main__":
    sys.exit(main())
