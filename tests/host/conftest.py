"""Host test fixtures: the host's own Mosquitto on a free port, a paho "puck", stores (SQLite, PostgreSQL)."""
import json
import os
import uuid

import paho.mqtt.client as mqtt
import pytest
from waiting import wait_for  # noqa: F401  (the host tests import it from here)

from talkpuck.mqtt.broker import Broker, free_port, mosquitto_binary, parse_url

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "docs", "protocol", "examples")
BAD = os.path.join(ROOT, "docs", "protocol", "bad")


def start_mosquitto(data_dir, port=None):
    """The Mosquitto that `talkpuck serve` runs (talkpuck.mqtt.broker: persistence on, supervised), on a port
    the OS picks (1883 may belong to the machine's own broker); `port` starts it again where it was."""
    broker = Broker.start(data_dir=data_dir, port=port or free_port())
    assert broker.kind == "mosquitto", broker.kind
    return broker


@pytest.fixture(scope="session")
def mosquitto(tmp_path_factory):
    if mosquitto_binary() is None:
        pytest.skip("mosquitto not installed (apt-get install mosquitto)")
    broker = start_mosquitto(str(tmp_path_factory.mktemp("mosquitto")))
    yield broker
    broker.stop()


@pytest.fixture
def private_mosquitto(tmp_path):
    """A broker of the test's own (stop it, then `start_mosquitto(dir, port=b.port)` brings it back)."""
    if mosquitto_binary() is None:
        pytest.skip("mosquitto not installed")
    broker = start_mosquitto(str(tmp_path))
    yield broker
    broker.stop()


class Puck:
    """A paho client publishing as a puck (QoS 1, waits for PUBACK); messages from the golden examples."""

    def __init__(self, url, device="puck-a1"):
        host, port = parse_url(url)
        self.device = device
        self.received = []
        self.c = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id=device,
                             clean_session=False)
        self.c.on_message = lambda c, u, m: self.received.append((m.topic, m.payload))
        self.c.connect(host, port)
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


@pytest.fixture(scope="session")
def pg_url():
    """The PostgreSQL of this test run (tests/host/pgserver.py: a reachable one, else our own)."""
    import pgserver
    try:
        url, own = pgserver.server()
    except RuntimeError as e:
        pytest.fail(str(e))
    yield url
    if own is not None:
        own.stop()


def pg_schema_url(base_url):
    """(url with a fresh private schema on its search_path, drop): each test's own schema."""
    import sqlalchemy
    schema = "t_" + uuid.uuid4().hex[:10]
    eng = sqlalchemy.create_engine(base_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with eng.begin() as c:
        c.execute(sqlalchemy.text("CREATE SCHEMA %s" % schema))

    def drop():
        with eng.begin() as c:
            c.execute(sqlalchemy.text("DROP SCHEMA %s CASCADE" % schema))
        eng.dispose()
    sep = "&" if "?" in base_url else "?"
    return base_url + sep + "options=-csearch_path%3D" + schema, drop


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh database: an SQLite file, or a private schema in PostgreSQL (never skipped: pgserver)."""
    if request.param == "sqlite":
        yield "sqlite:///" + str(tmp_path / "t.db")
        return
    url, drop = pg_schema_url(request.getfixturevalue("pg_url"))
    yield url
    drop()


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


def make_api(data_dir):
    """The web app over a fresh Store in `data_dir`, its commands collected in `sent` instead of published:
    (app, store, sent). The caller closes the store."""
    from talkpuck.api import create_app
    from talkpuck.commands import Commander, SessionControl
    from talkpuck.hands import HandQueue
    from talkpuck.service.settings import Settings
    from talkpuck.store import Store
    store = Store(data_dir=data_dir)
    sent = []
    commander = Commander(store, lambda topic, payload: sent.append((topic, payload)))
    app = create_app(Settings("mqtt://127.0.0.1:1", data_dir=data_dir), store, commander,
                     HandQueue(store, commander), SessionControl(store, commander))
    return app, store, sent


def record_puck(store, device, room, boot, t0):
    """`device`'s retained info as a puck of `room`, booted as `boot`, sends it (received at t0)."""
    store.record_info(device, {"v": 1, "boot": boot, "ms": 0, "fw": "t", "board": "b", "leds": 16, "room": room,
                               "caps": [], "prev_boot": None, "prev_seq": 0}, t0, (t0, 0))


@pytest.fixture
def api_parts(tmp_path):
    """make_api over tmp_path, its store closed after the test."""
    app, store, sent = make_api(str(tmp_path))
    yield app, store, sent
    store.close()


def serve_args(data_dir, **changes):
    """The arguments of `talkpuck serve --listen 127.0.0.2 --data-dir data_dir --http-port 0`, with `changes`."""
    import argparse
    args = argparse.Namespace(broker=None, db=None, data_dir=data_dir, http_port=0, listen="127.0.0.2",
                              mqtt_tls_port=None, broker_ca=None)
    for k in changes:
        setattr(args, k, changes[k])
    return args


def first_schema(conn, applied_ms):
    """The database as migration m001 shipped it: m001's tables less the columns later migrations add."""
    from sqlalchemy import text

    from talkpuck.store import tables as t
    from talkpuck.store.migrations import m001_initial
    m001_initial(conn)
    for sql in ("DROP INDEX ix_events_session_id", "DROP INDEX ix_commands_session_id",
                "DROP INDEX ix_turns_session_id", "ALTER TABLE events DROP COLUMN session_id",
                "ALTER TABLE commands DROP COLUMN session_id", "ALTER TABLE boots DROP COLUMN deleted_events",
                "ALTER TABLE boots DROP COLUMN deleted_max_seq", "ALTER TABLE turns DROP COLUMN cont",
                "ALTER TABLE turns DROP COLUMN remote"):
        conn.execute(text(sql))
    t.schema_version.create(conn)
    conn.execute(t.schema_version.insert().values(version=1, applied_ms=applied_ms))
