"""broker — the MQTT broker the host uses: an external one, or an embedded one it starts and supervises.

With no URL the host runs its own broker on 127.0.0.1:
* a private Mosquitto (persistence on, in the data dir) when the `mosquitto` binary is installed,
  restarted by a supervisor thread if it dies;
* otherwise amqtt, a pure-Python broker, in a thread of this process.
A default port that is taken (a system Mosquitto often holds 1883) is replaced by a free one; the
caller says which.
"""
import asyncio
import logging
import os
import shutil
import socket
import subprocess
import threading
import time

from puckport import brokerurl
from talkpuck.errors import ConfigError

log = logging.getLogger("talkpuck.mqtt.broker")

DEFAULT_PORT = brokerurl.DEFAULT_PORT


def free_port(preferred=None, host="127.0.0.1"):
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


def parse_url(url):
    """mqtt://[user[:password]@]host:port -> (host, port); the one parser (puckport.brokerurl) checks it."""
    host, port, _user, _password = brokerurl.parse(url)
    return host, port


def wait_listening(host, port, timeout_s=10.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def mosquitto_binary():
    for p in (shutil.which("mosquitto"), "/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"):
        if p and os.path.exists(p):
            return p
    return None


class Broker:
    """A running broker: `url`, `host`, `port`, `kind` ("external", "mosquitto" or "amqtt"); `stop()`."""

    restart_delay_s = 0.5

    def __init__(self, kind, host, port, url=None):
        self.kind = kind
        self.host = host
        self.port = port
        self.url = url or "mqtt://%s:%d" % (host, port)  # an external URL as given: its user and password too
        self.restarts = 0
        self._proc = None
        self._stopping = threading.Event()
        self._thread = None
        self._conf = None
        self._loop = None
        self._amqtt = None
        self._amqtt_up = False

    @classmethod
    def start(cls, url=None, data_dir="var", port=None, prefer="mosquitto", secure=None):
        """Use the broker at `url`, or start an embedded one (Mosquitto if installed, else amqtt).

        `secure` (talkpuck.security.mosquitto_conf.SecureBroker): Mosquitto only, with its TLS
        listener, logins and ACL; the host's url carries the host's login."""
        if url:
            host, p = parse_url(url)
            return cls("external", host, p, url)
        port = port or free_port(DEFAULT_PORT)
        binary = mosquitto_binary() if prefer == "mosquitto" else None
        if secure is not None:
            if not binary:
                raise ConfigError("--listen needs Mosquitto (apt-get install mosquitto): the in-process "
                                  "broker serves localhost only")
            secure.check_ports()
        if binary:
            b = cls("mosquitto", "127.0.0.1", port, secure.host_url(port) if secure else None)
            b._secure = secure
            b._start_mosquitto(binary, os.path.abspath(data_dir))
        else:
            b = cls("amqtt", "127.0.0.1", port)
            b._start_amqtt()
        # amqtt is up when its start() returns (and 0.12 leaks the socket of a bare probe connection)
        if not (b._amqtt_up if b.kind == "amqtt" else wait_listening(b.host, b.port)):
            b.stop()
            raise ConfigError("broker: embedded %s did not start on port %d" % (b.kind, port))
        log.info("embedded %s broker listening on %s", b.kind, brokerurl.redact(b.url))
        return b

    # -- Mosquitto, supervised -------------------------------------------------
    def _start_mosquitto(self, binary, data_dir):
        bdir = os.path.join(data_dir, "broker")
        os.makedirs(bdir, exist_ok=True)
        self._conf = os.path.join(bdir, "mosquitto.conf")
        secure = getattr(self, "_secure", None)
        with open(self._conf, "w") as f:
            f.write(secure.listener_lines(self.port) if secure else
                    "# written by talkpuck: a private broker on localhost only\n"
                    "listener %d 127.0.0.1\n"
                    "allow_anonymous true\n" % self.port)
            f.write(
                "persistence true\n"
                "persistence_location %s/\n"
                "autosave_interval 1\n"  # a crash loses at most 1 s of queued QoS 1 state

                "max_queued_messages 10000\n"
                "log_dest stderr\n"
                "log_type error\n"
                "log_type warning\n" % (bdir,)
            )
            if os.geteuid() == 0:
                # as root Mosquitto switches to user "mosquitto", who cannot write our data dir
                f.write("user root\n")
        self._binary = binary
        self.log_path = os.path.join(bdir, "mosquitto.log")
        self._spawn()
        self._thread = threading.Thread(target=self._supervise, name="broker-supervisor", daemon=True)
        self._thread.start()

    def _spawn(self):
        # the broker's own messages go to a log file beside its data, not into the host's terminal
        with open(self.log_path, "ab") as logf:
            self._proc = subprocess.Popen(
                [self._binary, "-c", self._conf], stdin=subprocess.DEVNULL, stdout=logf, stderr=logf
            )

    def _supervise(self):
        while not self._stopping.is_set():
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
    def _start_amqtt(self):
        from amqtt.broker import Broker as AmqttBroker

        config = {
            "listeners": {"default": {"type": "tcp", "bind": "127.0.0.1:%d" % self.port}},
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }
        ready = threading.Event()

        def run():
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            self._amqtt = AmqttBroker(config, loop=self._loop)
            self._loop.run_until_complete(self._amqtt.start())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="amqtt-broker", daemon=True)
        self._thread.start()
        self._amqtt_up = ready.wait(10)

    def kill_for_test(self):
        """Kill the embedded Mosquitto (the supervisor restarts it): for resilience tests."""
        if self._proc:
            self._proc.kill()

    def stop(self):
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
