"""tls — where the web's HTTPS certificate lives: `talkpuck security init` writes web.crt/web.key for the installation.

Beyond localhost the web serves HTTPS only (no session cookie ever crosses the network in clear);
browsers trust it once the installation's CA (security/ca.crt) is installed, or the organisation's
reverse proxy terminates TLS in front of a localhost host.
"""
import os
from collections.abc import Iterable
from typing import Any

from talkpuck.errors import ConfigError

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def web_tls_paths(data_dir: str, cert: str | None = None, key: str | None = None) -> tuple[str, str]:
    """(certfile, keyfile): the ones given, else <data_dir>/security/web.{crt,key}; ConfigError if missing."""
    sec = os.path.join(os.path.abspath(data_dir), "security")
    cert = cert or os.path.join(sec, "web.crt")
    key = key or os.path.join(sec, "web.key")
    for path in (cert, key):
        if not os.path.isfile(path):
            raise ConfigError("HTTPS beyond localhost needs %s: run `talkpuck security init` (or give --web-cert/--web-key)" % path)
    return cert, key


def web_options(listen: str | None, data_dir: str, cert: str | None = None, key: str | None = None,
                names: Iterable[str] = ()) -> dict[str, Any]:
    """HostApp keyword arguments for the web: on loopback plain HTTP (the demo); beyond it HTTPS with the
    installation's certificate, answering to the listen address and `names` (for `talkpuck serve --listen`)."""
    if not listen or listen in LOOPBACK:
        return {}
    return {"http_host": listen, "web_tls": web_tls_paths(data_dir, cert, key), "web_names": (listen,) + tuple(names)}
