"""broker — the MQTT broker the host uses: an external one, or an embedded one it starts and supervises.

With no URL the host runs its own broker on 127.0.0.1:
* a private Mosquitto (persistence on, in the data dir) when the `mosquitto` binary is installed,
  restarted by a supervisor thread if it dies;
* otherwise amqtt, a pure-Python broker, in a thread of this process (no persistence, no record).

The embedded Mosquitto is one per data dir, on the same port every time. Its pid and port are
recorded in `<data-dir>/broker/broker.json` whenever it is (re)spawned. The first start picks the
port (1883 when free, else one the OS gives) and records it; every later start uses the recorded
port, and a recorded port held by another program is a loud ConfigError, never a silent move
(pucks are configured with that port). A Mosquitto left running by a host that was killed
(`kill -9` of `talkpuck serve` leaves its child behind) is found through the record: if the pid is
alive and its command line is our binary with our config file, it is stopped with SIGTERM (it
saves its persistence file as it exits, so what it queued for the host is kept) and a fresh,
supervised one takes its place on the same port; it is never left running beside a second one.

Durability (`_write_config`, the one place the config is written; mqtt/README.md "Durability"):
* `persistence true`, `autosave_interval 1`: the in-memory state (retained messages, the host's
  persistent session and the QoS 1 messages queued for it) is written to `mosquitto.db` every
  second and on a clean stop. A `kill -9` of the broker can lose only what it acknowledged in
  the last second AND had not yet handed to the host (with the host connected that is the few
  milliseconds before the host receives it; the soak in bench/ counts it).
* `max_queued_messages 100000` per client (Mosquitto's default is 1000, which a junk flood
  filled before a genuine event), `max_queued_bytes` 64 MB: with the host away, a room of 10
  pucks (about 50 QoS 1 messages a minute each) queues for over three hours. At the limit
  Mosquitto drops further messages for that client (the newest, not the oldest); the host sees
  each dropped event as a gap in seq and counts it in `events_lost`.
* `max_inflight_messages 1000`: the unacknowledged messages Mosquitto hands one client at once.
  The host acks a message only once stored and stores what it holds in one transaction, so this
  caps its batch (talkpuck.mqtt.link; Mosquitto's default, 20, would cap it at 20).
"""
import asyncio
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from typing import TYPE_CHECKING, Any, TypeGuard

from puckport import brokerurl
from talkpuck.errors import ConfigError

if TYPE_CHECKING:
    from talkpuck.security.mosquitto_conf import SecureBroker

log = logging.getLogger("talkpuck.mqtt.broker")

DEFAULT_PORT = brokerurl.DEFAULT_PORT


def free_port(preferred: int | None = None, host: str = "127.0.0.1") -> int:
    """`preferred` if nothing listens there, else a free port chosen by the OS."""
    if preferred:
        with socket.socket() as s:
            try:
                s.bind((host, preferred))
                return preferred
            except OSError:
                pass
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def parse_url(url: str) -> tuple[str, int]:
    """mqtt://[user[:password]@]host:port -> (host, port); the one parser (puckport.brokerurl) checks it."""
    host, port, _user, _password = brokerurl.parse(url)
    return host, port


def wait_listening(host: str, port: int, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def mosquitto_binary() -> str | None:
    for p in (shutil.which("mosquitto"), "/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"):
        if p and os.path.exists(p):
            return p
    return None


RECORD = "broker.json"  # in <data-dir>/broker/: the embedded Mosquitto's pid and port


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """True if nothing listens on `port` (connections lingering in TIME_WAIT do not count)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Mosquitto binds its listener
        try:
            s.bind((host, port))
            return True
        except OSError:
            return False


def read_record(bdir: str) -> dict[str, Any]:
    """{pid, port, binary, conf} of the last embedded Mosquitto of this data dir, or {}."""
    try:
        with open(os.path.join(bdir, RECORD)) as f:
            rec = json.load(f)
        return rec if isinstance(rec, dict) else {}
    except (OSError, ValueError):
        return {}


def write_record(bdir: str, pid: int, port: int, binary: str, conf: str) -> None:
    path = os.path.join(bdir, RECORD)
    with open(path + ".tmp", "w") as f:
        json.dump({"pid": pid, "port": port, "binary": binary, "conf": conf}, f)
    os.replace(path + ".tmp", path)


def _cmdline(pid: int) -> list[bytes] | None:
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return None


def is_ours(pid: object, conf: str) -> TypeGuard[int]:
    """True if `pid` is alive and is a Mosquitto running our config file (pids get reused)."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    argv = _cmdline(pid)
    if not argv:
        return False
    return os.path.basename(argv[0]).startswith(b"mosquitto") and os.fsencode(conf) in argv


def _alive(pid: int) -> bool:
    argv = _cmdline(pid)
    if argv is None:
        return False
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"  # a zombie has exited
    except OSError:
        return False


def stop_leftover(record: dict[str, Any], conf: str, timeout_s: float = 10.0) -> bool:
    """Stop the Mosquitto a killed host left running (found by the record); True if there was one."""
    pid = record.get("pid")
    if not is_ours(pid, conf):
        return False
    log.warning("broker: a Mosquitto of this data dir is still running (pid %d, left by a host that did "
                "not stop cleanly): stopping it so its queue is saved, then starting ours on port %s",
                pid, record.get("port"))
    try:
        os.kill(pid, signal.SIGTERM)  # Mosquitto saves its persistence file as it exits
    except OSError:
        return False
    deadline = time.monotonic() + timeout_s
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
        while _alive(pid):
            time.sleep(0.05)
    port = record.get("port")
    if isinstance(port, int):  # the listening socket goes with the process; wait until it is free
        deadline = time.monotonic() + timeout_s
        while not port_free(port) and time.monotonic() < deadline:
            time.sleep(0.05)
    return True


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what is left on a stopped loop, let it finish, and close the loop."""
    left = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for t in left:
        t.cancel()
    if left:
        loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
    loop.close()


class Broker:
    """A running broker: `url`, `host`, `port`, `kind` ("external", "mosquitto" or "amqtt"); `stop()`."""

    restart_delay_s = 0.5
    max_queued_messages = 100000  # per client (Mosquitto's default, 1000, lost an event to a junk flood)
    max_queued_bytes = 64 * 1024 * 1024
    max_inflight_messages = 1000  # caps the host's ingest batch (talkpuck.mqtt.link)

    def __init__(self, kind: str, host: str, port: int, url: str | None = None) -> None:
        self.kind = kind
        self.host = host
        self.port = port
        self.url = url or "mqtt://%s:%d" % (host, port)  # an external URL as given: its user and password too
        self.restarts = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._conf = ""                 # Mosquitto's config file
        self._loop: asyncio.AbstractEventLoop | None = None
        self._amqtt: Any = None          # amqtt.broker.Broker (amqtt ships no types)
        self._amqtt_up = False
        self._secure: SecureBroker | None = None  # talkpuck.security's SecureBroker for `serve --listen`

    @classmethod
    def start(cls, url: str | None = None, data_dir: str = "var", port: int | None = None, prefer: str = "mosquitto",
              secure: "SecureBroker | None" = None) -> "Broker":
        """Use the broker at `url`, or start an embedded one (Mosquitto if installed, else amqtt).

        An embedded Mosquitto listens on `port`, else on the port recorded in the data dir, else
        (first start) on 1883 or a free one, which is then recorded; a leftover one of ours is
        replaced. ConfigError if that port is taken by another program.
        `secure` (talkpuck.security.mosquitto_conf.SecureBroker): Mosquitto only, with its TLS
        listener, logins and ACL; the host's url carries the host's login."""
        if url:
            host, p = parse_url(url)
            return cls("external", host, p, url)
        binary = mosquitto_binary() if prefer == "mosquitto" else None
        if secure is not None:
            if not binary:
                raise ConfigError("--listen needs Mosquitto (apt-get install mosquitto): the in-process "
                                  "broker serves localhost only")
            secure.check_ports()
        if binary:
            bdir = os.path.join(os.path.abspath(data_dir), "broker")
            os.makedirs(bdir, exist_ok=True)
            record = read_record(bdir)
            conf = os.path.join(bdir, "mosquitto.conf")
            stop_leftover(record, conf)
            port = port or record.get("port") or free_port(DEFAULT_PORT)
            if not port_free(port):
                raise ConfigError("broker: port %d (recorded in %s) is taken by another program: stop it, "
                                  "or delete that file to let the host choose a new port (pucks must then be "
                                  "re-pointed)" % (port, os.path.join(bdir, RECORD)))
            b = cls("mosquitto", "127.0.0.1", port, secure.host_url(port) if secure else None)
            b._secure = secure
            b._start_mosquitto(binary, bdir)
            if not b._listening_itself():
                b.stop()  # another program took the port between the check and the bind
                raise ConfigError("broker: port %d is taken by another program (Mosquitto could not bind it; "
                                  "see %s)" % (port, b.log_path))
        else:
            port = port or free_port(DEFAULT_PORT)
            b = cls("amqtt", "127.0.0.1", port)
            b._start_amqtt()
        # amqtt is up when its start() returns (and 0.12 leaks the socket of a bare probe connection)
        if not (b._amqtt_up if b.kind == "amqtt" else wait_listening(b.host, b.port)):
            b.stop()
            raise ConfigError("broker: embedded %s did not start on port %d" % (b.kind, port))
        log.info("embedded %s broker listening on %s", b.kind, brokerurl.redact(b.url))
        return b

    # -- Mosquitto, supervised -------------------------------------------------
    def _start_mosquitto(self, binary: str, bdir: str) -> None:
        self._bdir = bdir
        self._conf = os.path.join(bdir, "mosquitto.conf")
        self._write_config(bdir)
        self._binary = binary
        self.log_path = os.path.join(bdir, "mosquitto.log")
        self._spawn()
        self._thread = threading.Thread(target=self._supervise, name="broker-supervisor", daemon=True)
        self._thread.start()

    def _listening_itself(self, timeout_s: float = 10.0) -> bool:
        """True once the port listens and our process still runs (a Mosquitto that cannot bind exits)."""
        deadline = time.monotonic() + timeout_s
        proc = self._proc
        while proc is not None and time.monotonic() < deadline:
            if proc.poll() is not None:
                return False
            if wait_listening(self.host, self.port, 0.1):
                time.sleep(0.2)  # a failed bind exits at once: give it that moment
                return proc.poll() is None
        return False

    def _write_config(self, bdir: str) -> None:
        """The embedded Mosquitto's whole config (durability: see the module docstring)."""
        secure = self._secure
        with open(self._conf, "w") as f:
            f.write(secure.listener_lines(self.port) if secure else
                    "# written by talkpuck: a private broker on localhost only\n"
                    "listener %d 127.0.0.1\n"
                    "allow_anonymous true\n" % self.port)
            f.write(
                "persistence true\n"
                "persistence_location %s/\n"
                "autosave_interval 1\n"  # a crash loses at most 1 s of broker state
                "max_queued_messages %d\n"  # per client: the host away for hours (default 1000)
                "max_queued_bytes %d\n"
                "max_inflight_messages %d\n"
                "log_dest stderr\n"
                "log_type error\n"
                "log_type warning\n" % (bdir, self.max_queued_messages, self.max_queued_bytes,
                         self.max_inflight_messages)
            )
            if os.geteuid() == 0:
                # as root Mosquitto switches to user "mosquitto", who cannot write our data dir
                f.write("user root\n")

    def _spawn(self) -> None:
        # the broker's own messages go to a log file beside its data, not into the host's terminal
        with open(self.log_path, "ab") as logf:
            self._proc = subprocess.Popen(
                [self._binary, "-c", self._conf], stdin=subprocess.DEVNULL, stdout=logf, stderr=logf
            )
        write_record(self._bdir, self._proc.pid, self.port, self._binary, self._conf)

    def _supervise(self) -> None:
        while not self._stopping.is_set() and self._proc is not None:
            code = self._proc.poll()
            if code == 0 and not self._stopping.is_set():
                # a clean exit means someone stopped it on purpose (SIGTERM to our process group)
                log.info("mosquitto stopped cleanly; not restarting")
                break
            if code is not None and not self._stopping.is_set():
                log.warning("mosquitto exited with %s; restarting", code)
                time.sleep(self.restart_delay_s)
                if self._stopping.is_set():
                    break
                self.restarts += 1
                self._spawn()
            self._stopping.wait(0.2)

    # -- amqtt, in process -----------------------------------------------------
    def _start_amqtt(self) -> None:
        from amqtt.broker import Broker as AmqttBroker

        config = {
            "listeners": {"default": {"type": "tcp", "bind": "127.0.0.1:%d" % self.port}},
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            self._amqtt = AmqttBroker(config, loop=self._loop)
            self._loop.run_until_complete(self._amqtt.start())
            ready.set()
            try:
                self._loop.run_forever()
            finally:                       # stop() ended it: close the loop (its self-pipe sockets) too
                _close_loop(self._loop)

        self._thread = threading.Thread(target=run, name="amqtt-broker", daemon=True)
        self._thread.start()
        self._amqtt_up = ready.wait(10)

    def kill_for_test(self) -> None:
        """Kill the embedded Mosquitto (the supervisor restarts it): for resilience tests."""
        if self._proc:
            self._proc.kill()

    def stop(self) -> None:
        self._stopping.set()
        if self._proc and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        if self._amqtt is not None and self._loop is not None:
            fut = asyncio.run_coroutine_threadsafe(self._amqtt.shutdown(), self._loop)
            try:
                fut.result(5)
            except Exception:  # shutting down: nothing left to save
                pass
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread and self._thread is not threading.current_thread():
            self._thread.join(5)
