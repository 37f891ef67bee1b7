"""Real Mosquitto with TLS, the password file and the ACL (talkpuck.security), started as `serve
--listen` starts it: nobody without a login gets in; a puck writes only under its own id, reads only
its own and the group's commands and cannot command; the host user can do all of it; retained
commands are refused by the host's link, cleared by the host and counted; a taken TLS port is a
loud error, never a silent move."""
import json
import os
import socket
import ssl
import stat
import threading
import time

import paho.mqtt.client as mqtt
import pytest

from waiting import wait_for

from talkpuck.errors import ConfigError, ListenError, NotFound, TalkpuckError
from talkpuck.mqtt.broker import Broker, free_port, mosquitto_binary
from talkpuck.mqtt.link import MqttLink
from talkpuck.security.ca import init_certificates
from talkpuck.security.credentials import Credentials, check_line, security_dir
from talkpuck.security.mosquitto_conf import SecureBroker

pytestmark = pytest.mark.skipif(mosquitto_binary() is None, reason="needs mosquitto")


class Installation:
    def __init__(self, tmp_path, listen="127.0.0.1"):
        self.data = str(tmp_path / "var")
        self.sec = security_dir(self.data)
        init_certificates(self.sec, [listen])
        self.creds = Credentials(self.sec)
        self.passwords = {}
        for dev in ("puck-a1", "puck-b2"):
            with open(self.creds.add_device(dev, listen)) as f:
                self.passwords[dev] = json.load(f)["mqtt_password"]
        self.listen = listen
        self.secure = SecureBroker(self.sec, listen, free_port(host=listen))
        self.passwords["host"] = self.secure.password
        self.broker = Broker.start(data_dir=self.data, secure=self.secure)
        self.ca = os.path.join(self.sec, "ca.crt")


@pytest.fixture(scope="module")
def inst(tmp_path_factory):
    i = Installation(tmp_path_factory.mktemp("sec"))
    yield i
    i.broker.stop()


class Client:
    """A paho client over TLS to the broker's TLS listener; records what it receives."""

    def __init__(self, inst, user=None, password=None, ca=None, client_id=None):
        self.msgs = []
        self.lock = threading.Lock()
        self.connected = threading.Event()
        self.refused = threading.Event()
        self.c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id or "t-%s-%d" % (user, time.monotonic_ns()))
        ctx = ssl.create_default_context(cafile=ca or inst.ca)
        self.c.tls_set_context(ctx)
        if user is not None:
            self.c.username_pw_set(user, password)
        self.c.reconnect_delay_set(0.05, 0.1)  # close() joins paho's thread, which sleeps this long
        self.c.on_connect = self._on_connect
        self.c.on_message = self._on_message
        self.subacks = {}
        self.c.on_subscribe = lambda c, u, mid, rcs, p: self.subacks.__setitem__(mid, [rc.is_failure for rc in rcs])
        self.c.connect(inst.listen, inst.secure.tls_port)
        self.c.loop_start()

    def _on_connect(self, c, u, flags, rc, p):
        (self.refused if rc.is_failure else self.connected).set()

    def _on_message(self, c, u, m):
        with self.lock:
            self.msgs.append((m.topic, bytes(m.payload), m.retain))

    def wait_up(self):
        wait_for(lambda: self.connected.is_set() or self.refused.is_set(), 5)
        return self.connected.is_set()

    def sub(self, topic):
        _rc, mid = self.c.subscribe(topic, 1)
        wait_for(lambda: mid in self.subacks, 5)
        return not any(self.subacks[mid])

    def pub(self, topic, payload, retain=False):
        self.c.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def topics(self):
        with self.lock:
            return [m[0] for m in self.msgs]

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()


def _login(inst, user):
    c = Client(inst, user, inst.passwords[user])
    assert c.wait_up(), "%s could not log in" % user
    return c


def test_anonymous_and_wrong_password_clients_get_nothing(inst):
    host = _login(inst, "host")
    assert host.sub("#")
    for user, password in ((None, None), ("puck-a1", "wrong"), ("puck-a1", ""), ("nobody", "x"),
                           ("host", inst.passwords["puck-a1"])):
        c = Client(inst, user, password)
        assert not c.wait_up(), "login %r accepted" % (user,)
        c.pub("talkpuck/v1/puck-a1/evt/turn", b"{}") if c.connected.is_set() else None
        c.close()
    # the plain loopback listener (the host's own link) refuses anonymous clients too
    plain = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="anon-plain")
    got = []
    plain.on_connect = lambda c, u, f, rc, p: got.append(rc.is_failure)
    plain.connect("127.0.0.1", inst.broker.port)
    plain.loop_start()
    wait_for(lambda: got, 5)
    plain.loop_stop()
    assert got == [True]
    time.sleep(0.3)
    assert host.topics() == []
    host.close()


def test_a_puck_writes_only_its_own_topics_and_reads_only_its_own_commands(inst):
    host = _login(inst, "host")
    assert host.sub("talkpuck/#")
    a = _login(inst, "puck-a1")
    b = _login(inst, "puck-b2")
    assert b.sub("talkpuck/v1/puck-b2/cmd/#") and b.sub("talkpuck/v1/all/cmd/#")
    a.sub("talkpuck/v1/puck-b2/cmd/#")          # may be granted, but nothing may arrive
    a.sub("talkpuck/v1/+/evt/#")
    a.sub("talkpuck/v1/puck-a1/cmd/#")
    a.pub("talkpuck/v1/puck-a1/evt/turn", b"own")
    a.pub("talkpuck/v1/puck-a1/state", b"own-state")
    a.pub("talkpuck/v1/puck-b2/evt/turn", b"forged")        # under another puck's id
    a.pub("talkpuck/v1/puck-b2/evt/session", b"forged")
    a.pub("talkpuck/v1/puck-b2/cmd/session_end", b"cmd")    # commanding another puck
    a.pub("talkpuck/v1/all/cmd/session_start", b"cmd")      # commanding every puck
    a.pub("talkpuck/v1/puck-a1/cmd/config", b"cmd")         # not even itself
    b.pub("talkpuck/v1/puck-b2/evt/turn", b"b-own")
    host.pub("talkpuck/v1/puck-b2/cmd/identify", b"host-to-b")
    host.pub("talkpuck/v1/all/cmd/identify", b"host-to-all")
    host.pub("talkpuck/v1/puck-a1/cmd/identify", b"host-to-a")
    wait_for(lambda: len(b.msgs) >= 2 and "talkpuck/v1/puck-a1/cmd/identify" in a.topics(), 5)
    time.sleep(0.3)
    host_got = {(t, p) for t, p, _r in host.msgs}
    assert ("talkpuck/v1/puck-a1/evt/turn", b"own") in host_got
    assert ("talkpuck/v1/puck-a1/state", b"own-state") in host_got
    assert ("talkpuck/v1/puck-b2/evt/turn", b"b-own") in host_got
    assert not [m for m in host_got if m[1] in (b"forged", b"cmd")]
    assert sorted(p for _t, p, _r in b.msgs) == [b"host-to-all", b"host-to-b"]
    assert [p for _t, p, _r in a.msgs] == [b"host-to-a"]  # not b's command, not b's events
    for c in (host, a, b):
        c.close()


def test_the_host_link_logs_in_and_refuses_to_retain_a_command(inst):
    got = []
    link = MqttLink(inst.broker.url, "t-host-link", ["talkpuck/v1/+/evt/#"],
                    on_message=lambda t, p, r: got.append((t, p)))
    link.start()
    assert "***" in link.url and inst.passwords["host"] not in link.url
    with pytest.raises(TalkpuckError):
        link.publish("talkpuck/v1/puck-a1/cmd/identify", b"{}", retain=True)
    link.publish("talkpuck/v1/puck-a1/cmd/identify", b"", retain=True)  # clearing is allowed
    a = _login(inst, "puck-a1")
    a.pub("talkpuck/v1/puck-a1/evt/hand", b"h")
    wait_for(lambda: got, 5)
    link.stop()
    a.close()
    # over TLS with the CA, as an organisation's broker would be used
    tls = MqttLink("mqtts://host:%s@%s:%d" % (inst.passwords["host"], inst.listen, inst.secure.tls_port),
                   "t-host-tls", ca=inst.ca)
    tls.start()
    tls.stop()
    with pytest.raises(TalkpuckError):
        MqttLink("mqtts://host:wrong@%s:%d" % (inst.listen, inst.secure.tls_port), "t-host-bad",
                 ca=inst.ca).start(timeout_s=2)


def test_a_wrong_ca_is_refused(inst, tmp_path):
    other = str(tmp_path / "other")
    init_certificates(other, ["127.0.0.1"])
    # the TLS handshake a client makes with a CA that did not sign the broker's certificate
    # (plain ssl: paho leaves the socket of a failed handshake unclosed, a ResourceWarning here)
    ctx = ssl.create_default_context(cafile=os.path.join(other, "ca.crt"))
    with socket.create_connection((inst.listen, inst.secure.tls_port), timeout=5) as raw:
        with pytest.raises(ssl.SSLCertVerificationError):
            ctx.wrap_socket(raw, server_hostname=inst.listen)


def test_retained_commands_are_cleared_by_the_host_and_counted(inst, tmp_path):
    from talkpuck.service.hostapp import HostApp

    planted = _login(inst, "host")  # someone with command rights leaves a retained command
    planted.pub("talkpuck/v1/all/cmd/session_start", b'{"id": "x"}', retain=True)
    planted.pub("talkpuck/v1/puck-b2/cmd/config", b'{"id": "y"}', retain=True)
    planted.close()
    host = HostApp(inst.broker.url, data_dir=str(tmp_path / "h"))
    host.start()
    try:
        wait_for(lambda: host.retained_commands.cleared == 2, 5)
        b = _login(inst, "puck-b2")
        b.sub("talkpuck/v1/puck-b2/cmd/#")
        b.sub("talkpuck/v1/all/cmd/#")
        time.sleep(0.5)
        assert b.msgs == []  # nothing retained is left for a puck connecting later
        b.close()
        cid = host.send_command("puck-b2", "identify", {"seconds": 3})
        assert cid
        assert host.retained_commands.cleared == 2  # the host's own commands are not retained
    finally:
        host.stop()


def test_security_files_and_certificates(inst):
    from cryptography import x509

    for name in ("ca.key", "broker.key", "web.key", "passwd", "host.json", "devices/puck-a1.json"):
        mode = stat.S_IMODE(os.stat(os.path.join(inst.sec, name)).st_mode)
        assert mode == 0o600, (name, oct(mode))
    assert stat.S_IMODE(os.stat(inst.sec).st_mode) == 0o700
    for name in ("ca.crt", "broker.crt", "web.crt"):
        with open(os.path.join(inst.sec, name), "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
        assert cert.not_valid_before_utc.year == 2000 and cert.not_valid_before_utc.month == 1
        assert cert.not_valid_after_utc.year >= 2035
    with open(os.path.join(inst.sec, "broker.crt"), "rb") as f:
        san = x509.load_pem_x509_certificate(f.read()).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert "localhost" in san.value.get_values_for_type(x509.DNSName)
    with open(os.path.join(inst.sec, "devices", "puck-a1.json")) as f:
        doc = json.load(f)
    assert doc["broker"] == "mqtts://127.0.0.1:8883" and doc["ca"] == "ca.crt" and len(doc["mqtt_password"]) >= 40
    lines = Credentials(inst.sec).users()
    assert check_line(lines["puck-a1"], doc["mqtt_password"]) and not check_line(lines["puck-a1"], "x")


def test_device_add_refuses_bad_names_duplicates_and_removal_locks_out(tmp_path):
    sec = str(tmp_path / "security")
    creds = Credentials(sec)
    with pytest.raises(ConfigError):
        creds.add_device("puck-a1", "h")  # not initialised
    init_certificates(sec, [])
    for bad in ("host", "all", "Bad Device!", "../x", "a" * 33):
        with pytest.raises(ConfigError):
            creds.add_device(bad, "h")
    creds.add_device("puck-a1", "h")
    with pytest.raises(ConfigError):
        creds.add_device("puck-a1", "h")
    key = creds.ota_key("puck-a1")
    creds.add_device("puck-b2", "h")
    assert len(key) == 32 and creds.ota_key("puck-b2") != key  # each puck signs only its own updates
    with open(creds.device_path("puck-a1")) as f:
        assert json.load(f)["ota_key"] == key.hex()  # in the provisioning file: it goes to the puck's config
    creds.add_device("puck-a1", "h", replace=True)
    assert creds.ota_key("puck-a1") != key
    creds.remove_device("puck-a1")
    with pytest.raises(NotFound):
        creds.ota_key("puck-a1")
    creds.remove_device("puck-b2")
    assert creds.devices() == [] and not os.path.exists(creds.device_path("puck-a1"))


def test_listen_needs_security_initialised_and_a_free_fixed_port(tmp_path):
    from talkpuck.cli import serve

    data = str(tmp_path / "var")

    class Args:
        broker = None
        db = None
        data_dir = data
        http_port = 0
        listen = "127.0.0.2"
        mqtt_tls_port = None
        broker_ca = None

    with pytest.raises(ConfigError, match="security init"):
        serve.secure_broker(Args)
    init_certificates(security_dir(data), ["127.0.0.2"])
    Args.mqtt_tls_port = free_port(host="127.0.0.2")
    holder = socket.socket()
    holder.bind(("127.0.0.2", Args.mqtt_tls_port))
    holder.listen(1)
    try:
        with pytest.raises(ListenError, match="is taken"):
            serve.start_host(Args)
    finally:
        holder.close()
    # free again: the host serves the pucks on 127.0.0.2 over TLS, on exactly that port
    host, broker = serve.start_host(Args)
    try:
        assert broker._secure.tls_port == Args.mqtt_tls_port
        inst = type("I", (), {"ca": os.path.join(security_dir(data), "ca.crt"), "listen": "127.0.0.2",
                              "secure": broker._secure})
        c = Client(inst, None, None)
        assert not c.wait_up()
        c.close()
    finally:
        host.stop()
        broker.stop()
    with pytest.raises(ConfigError, match="Mosquitto"):
        Broker.start(data_dir=data, prefer="amqtt", secure=SecureBroker(security_dir(data), "127.0.0.2", Args.mqtt_tls_port))


def test_settings_check_the_tls_port_and_keep_the_listen_address():
    from talkpuck.service.settings import Settings

    s = Settings("mqtt://127.0.0.1", data_dir="var", listen="127.0.0.2")
    assert s.listen == "127.0.0.2" and s.mqtt_tls_port == 8883
    for bad in (0, 65536, "x"):
        with pytest.raises(ConfigError, match="mqtt_tls_port"):
            Settings("mqtt://127.0.0.1", data_dir="var", mqtt_tls_port=bad)


def test_acl_names_every_device_topic_and_never_lets_a_puck_command():
    from talkpuck.security.mosquitto_conf import acl_text

    text = acl_text()
    writes = [l.split()[-1] for l in text.splitlines() if l.startswith("pattern write")]
    assert writes and all(w.startswith("talkpuck/v1/%u/") and "/cmd" not in w for w in writes)
    reads = sorted(l.split()[-1] for l in text.splitlines() if l.startswith("pattern read"))
    assert reads == ["talkpuck/v1/%u/cmd/#", "talkpuck/v1/all/cmd/#"]
    assert "user host\ntopic readwrite talkpuck/#" in text
