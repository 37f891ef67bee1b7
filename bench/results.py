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
