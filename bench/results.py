"""results — append a benchmark's rows to bench/RESULTS.md with the date, machine and command."""
import datetime
import os
import platform
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "RESULTS.md")


def machine():
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d cores, %s" % (platform.machine(), os.cpu_count() or 0, cpu)


def append(title, lines, command=None):
    command = command or " ".join([os.path.relpath(sys.executable, os.getcwd())] + sys.argv)
    head = "\n## %s — %s\n\nMachine: %s  \nCommand: `%s`\n\n" % (
        title, datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), machine(), command)
    new = not os.path.exists(RESULTS)
    with open(RESULTS, "a", encoding="utf-8") as f:
        if new:
            f.write("# Benchmark results\n\nAppended by the scripts in bench/ (newest last).\n")
        f.write(head + "\n".join(lines) + "\n")


def mp_vs_cpython(script, args, env, title, first_col, intro):
    """Run a probe script (printing `label us_per_frame heap_growth` lines) under the MicroPython
    unix port and CPython, print the side-by-side table, and append it to RESULTS.md."""
    import subprocess

    root = os.path.dirname(HERE)
    mp = os.path.join(os.path.dirname(sys.executable), "micropython")

    def measure(cmd):
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=root, timeout=300, check=True)
        return [line.split() for line in r.stdout.strip().splitlines()]

    path = os.path.join(HERE, script)
    rows_mp = measure([mp, "-X", "heapsize=4M", path] + list(args))
    rows_py = measure([sys.executable, path] + list(args))
    lines = [intro, "",
             "| %s | MicroPython unix us/frame | heap growth over 500 frames (bytes) | CPython us/frame |" % first_col,
             "|---|---|---|---|"]
    for (label, us_mp, grown), (_l, us_py, _g) in zip(rows_mp, rows_py):
        lines.append("| %s | %s | %s | %s |" % (label, us_mp, grown, us_py))
    print("\n".join(lines))
    append(title, lines)
