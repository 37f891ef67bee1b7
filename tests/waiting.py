"""waiting — poll a condition in tests that talk to real brokers and processes."""
import time


def wait_for(pred, timeout_s=20, what="condition"):
    """Return pred()'s first truthy value; fail the test naming `what` after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)
