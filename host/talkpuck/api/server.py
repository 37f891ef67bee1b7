"""server — runs an ASGI app under uvicorn in a background thread on a socket we bind ourselves.

Binding first lets port 0 pick a free port and tells the caller which, before the thread starts.
"""
import logging
import socket
import threading
import time

import uvicorn
from starlette.types import ASGIApp

from talkpuck.errors import ListenError, TalkpuckError

log = logging.getLogger(__name__)


class WebServer:
    """`certfile`/`keyfile` (PEM) serve HTTPS: required beyond localhost (talkpuck.auth.tls)."""

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0, certfile: str | None = None,
                 keyfile: str | None = None) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.certfile = certfile
        self.keyfile = keyfile
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    def start(self, timeout_s: float = 10) -> None:
        fam = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(fam, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as e:
            sock.close()
            raise ListenError("cannot listen on %s:%s: %s" % (self.host, self.port, e))
        sock.listen(128)
        self._sock = sock
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off",
                                ssl_certfile=self.certfile, ssl_keyfile=self.keyfile,
                                server_header=False, h11_max_incomplete_event_size=16 * 1024)
        self._server = uvicorn.Server(config)
        # uvicorn (>= 0.29) installs no signal handlers off the main thread: Ctrl-C stays the host's
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        name="talkpuck-http", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise TalkpuckError("web server did not start on %s:%s" % (self.host, self.port))
            time.sleep(0.02)

    @property
    def url(self) -> str:
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "%s://%s:%d/" % ("https" if self.certfile else "http", host, self.port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            if self._thread is not None:
                self._thread.join(10)
            self._server = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
