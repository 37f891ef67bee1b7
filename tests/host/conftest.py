"""Host test fixtures: a real Mosquitto on a free port, a paho "puck", stores (SQLite, PostgreSQL)."""
import json
import os
import shutil
import socket
import subprocess
import time
import uuid

import paho.mqtt.client as mqtt
import pytest
from waiting import wait_for  # noqa: F401  (the host tests import it from here)

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "docs", "protocol", "examples")
BAD = os.path.join(ROOT, "docs", "protocol", "bad")
PG_URL = os.environ.get("TALKPUCK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Mosquitto:
    """A private Mosquitto: start(), stop(), restart() on the same port."""

    def __init__(self, workdir, persistence=False):
        self.port = free_port()
        self.workdir = workdir
        self.conf = os.path.join(workdir, "mosquitto.conf")
        lines = ["listener %d 127.0.0.1" % self.port, "allow_anonymous true",
                 "persistence %s" % ("true" if persistence else "false"), "max_queued_messages 100000"]
        if persistence:
            lines.append("persistence_location %s/" % workdir)
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.proc = None
        self.url = "mqtt://127.0.0.1:%d" % self.port

    def start(self):
        self.log = open(os.path.join(self.workdir, "mosquitto.log"), "ab")
        self.proc = subprocess.Popen([MOSQUITTO, "-c", self.conf], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("mosquitto exited: see %s" % self.log.name)
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not listen on %d" % self.port)

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
            self.log.close()


@pytest.fixture(scope="session")
def mosquitto(tmp_path_factory):
    if not os.path.exists(MOSQUITTO):
        pytest.skip("mosquitto not installed (apt-get install mosquitto)")
    broker = Mosquitto(str(tmp_path_factory.mktemp("mosquitto"))).start()
    yield broker
    broker.stop()


@pytest.fixture
def private_mosquitto(tmp_path):
    """A broker of the test's own (it may be stopped and started)."""
    if not os.path.exists(MOSQUITTO):
        pytest.skip("mosquitto not installed")
    broker = Mosquitto(str(tmp_path)).start()
    yield broker
    broker.stop()


class Puck:
    """A paho client publishing as a puck (QoS 1, waits for PUBACK); messages from the golden examples."""

    def __init__(self, url, device="puck-a1"):
        host, port = url.replace("mqtt://", "").split(":")
        self.device = device
        self.received = []
        self.c = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id=device,
                             clean_session=False)
        self.c.on_message = lambda c, u, m: self.received.append((m.topic, m.payload))
        self.c.connect(host, int(port))
        self.c.loop_start()
        self.c.subscribe("talkpuck/v1/%s/cmd/#" % device, qos=1)

    def send(self, topic, payload, qos=1, retain=False, wait=True):
        if isinstance(payload, (dict, list)):
            payload = json.dumps(payload)
        info = self.c.publish(topic.replace("puck-a1", self.device, 1) if self.device != "puck-a1" else topic,
                              payload, qos=qos, retain=retain)
        if wait and qos:
            info.wait_for_publish(10)
        return info

    def example(self, name, **changes):
        with open(os.path.join(EXAMPLES, name + ".json")) as f:
            ex = json.load(f)
        payload = ex["payload"]
        if isinstance(payload, dict):
            payload = dict(payload, **changes)
        return self.send(ex["topic"], payload, qos=ex["qos"], retain=ex["retain"])

    def event(self, kind, boot, seq, ms, **fields):
        p = {"v": 1, "boot": boot, "seq": seq, "ms": ms}
        p.update(fields)
        return self.send("talkpuck/v1/%s/evt/%s" % (self.device, kind), p)

    def commands(self, verb=None):
        out = []
        for topic, payload in self.received:
            if verb is None or topic.endswith("/cmd/" + verb):
                out.append((topic.rsplit("/", 1)[1], json.loads(payload)))
        return out

    def close(self):
        self.c.loop_stop()
        self.c.disconnect()


def pg_reachable():
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return False
    try:
        socket.create_connection(("127.0.0.1", 5432), 0.5).close()
    except OSError:
        return False
    return True


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh database: an SQLite file, or a private schema in PostgreSQL (skipped when unreachable)."""
    if request.param == "sqlite":
        yield "sqlite:///" + str(tmp_path / "t.db")
        return
    if not pg_reachable():
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432 (or psycopg missing)")
    import sqlalchemy
    schema = "t_" + uuid.uuid4().hex[:10]
    base = PG_URL.replace("postgresql://", "postgresql+psycopg://")
    eng = sqlalchemy.create_engine(base)
    try:
        with eng.begin() as c:
            c.execute(sqlalchemy.text("CREATE SCHEMA %s" % schema))
    except Exception as e:
        pytest.skip("PostgreSQL not usable: %s" % e)
    sep = "&" if "?" in PG_URL else "?"
    yield PG_URL + sep + "options=-csearch_path%3D" + schema
    with eng.begin() as c:
        c.execute(sqlalchemy.text("DROP SCHEMA %s CASCADE" % schema))
    eng.dispose()


@pytest.fixture
def host(mosquitto, tmp_path):
    from talkpuck.service.hostapp import HostApp
    h = HostApp(mosquitto.url, data_dir=str(tmp_path / "var"))
    h.start()
    yield h
    h.stop()


@pytest.fixture
def puck(mosquitto):
    p = Puck(mosquitto.url, "puck-" + uuid.uuid4().hex[:6])
    yield p
    p.close()
