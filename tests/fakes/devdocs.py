"""Device-config documents for the devconfig tests: a copy with keys changed or removed, and the
ConfigError text a bad one raises (plain Python, runs under MicroPython too)."""
import sys

for _p in ("firmware", "firmware/lib"):
    if _p not in sys.path:
        sys.path.append(_p)

from puckport import devconfig  # noqa: E402
from puckcore.errors import ConfigError  # noqa: E402


def changed(doc, changes):
    """A copy of `doc` with `changes` applied; a change to None removes the key."""
    d = dict(doc)
    for k in changes:
        if changes[k] is None:
            d.pop(k, None)
        else:
            d[k] = changes[k]
    return d


def config_error(doc, needs_wifi=True):
    """The text of the ConfigError DeviceConfig raises for `doc`; AssertionError when it accepts it."""
    try:
        devconfig.DeviceConfig(doc, needs_wifi)
    except ConfigError as e:
        return str(e)
    raise AssertionError("no ConfigError for %r" % (doc,))
