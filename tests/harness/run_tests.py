"""run_tests — run every test_* function of one test module; works under MicroPython and CPython.

Usage: run_tests.py MODULE_NAME  (the module's folder must be on the import path).
Prints one line per test and a closing 'N passed, N failed' line; exits 1 on any failure.
"""
import sys


def main(name):
    mod = __import__(name)
    passed = failed = 0
    for attr in sorted(dir(mod)):
        if not attr.startswith("test_"):
            continue
        fn = getattr(mod, attr)
        if not callable(fn):
            continue
        try:
            fn()
            passed += 1
            print("ok", name, attr)
        except Exception as e:  # report and keep going: one failure must not hide others
            failed += 1
            print("FAIL", name, attr, repr(e))
            if hasattr(sys, "print_exception"):
                sys.print_exception(e)  # MicroPython
            else:
                import traceback

                traceback.print_exc()
    print("%d passed, %d failed" % (passed, failed))
    return failed


if __name__ == "__main__":
    sys.exit(1 if main(sys.argv[1]) else 0)
