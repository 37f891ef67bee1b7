"""End to end over TLS: the REAL firmware under the MicroPython unix port logs in to Mosquitto with TLS,
the password file and the ACL (as `serve --listen` runs it) with its own credentials, checks the
broker's certificate against the installation's CA, and sends events that the host stores; a wrong
password or a wrong CA keeps it out (nothing of it reaches the host)."""
import json
import os
import time

import pytest

from waiting import wait_for
from unixpuck import micropython as _micropython, start_firmware, stop_firmware as _stop, write_config

from talkpuck.mqtt.broker import Broker, free_port, mosquitto_binary
from talkpuck.security.ca import init_certificates
from talkpuck.security.credentials import Credentials, security_dir
from talkpuck.security.mosquitto_conf import SecureBroker
from talkpuck.service.hostapp import HostApp

pytestmark = pytest.mark.skipif(mosquitto_binary() is None, reason="needs mosquitto")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tls")
    data = str(tmp / "var")
    sec = security_dir(data)
    init_certificates(sec, ["127.0.0.1"])
    creds = Credentials(sec)
    provs = {}
    for dev in ("puck-tls1", "puck-tls2"):
        with open(creds.add_device(dev, "127.0.0.1")) as f:
            provs[dev] = json.load(f)
    secure = SecureBroker(sec, "127.0.0.1", free_port())
    broker = Broker.start(data_dir=data, secure=secure)
    host = HostApp(broker.url, data_dir=str(tmp / "host"))
    host.start()
    yield {"tmp": tmp, "sec": sec, "provs": provs, "secure": secure, "host": host}
    host.stop()
    broker.stop()


def _start(site, name, dev, **override):
    prov = dict(site["provs"][dev])
    port = site["secure"].tls_port
    cfg = {"device": dev, "board": "unix", "broker": "mqtts://127.0.0.1:%d" % port,
           "mqtt_password": prov["mqtt_password"], "ca": os.path.join(site["sec"], "devices", prov["ca"]),
           "storage": str(site["tmp"] / name / "store")}
    cfg.update(override)
    return start_firmware(write_config(site["tmp"] / name, cfg))


def _known(host, dev):
    return [e for e in host.store.events(device=dev)]


def test_real_firmware_connects_over_tls_with_its_login_and_the_host_stores_its_events(site):
    assert _micropython(), "micropython not found: install the dev extra"
    host = site["host"]
    proc = _start(site, "ok", "puck-tls1")
    try:
        # the puck is online (its status and info came through the ACL), then a command round trip
        cid = None
        for _ in range(30):
            cid = host.send_command("puck-tls1", "identify", {"seconds": 1})
            if host.wait_response(cid, 0.5) is not None:
                break
        assert host.wait_response(cid, 1) is not None, "no resp over TLS"
        host.start_session("puck-tls1", 600, warn_s=120)
        wait_for(lambda: any(e["kind"] == "session" for e in _known(host, "puck-tls1")), 15, "evt/session stored")
    finally:
        out = _stop(proc)
    assert "Traceback" not in out, out


@pytest.mark.parametrize("what", ["password", "ca"])
def test_real_firmware_is_refused_with_a_wrong_password_or_ca(site, what):
    other = str(site["tmp"] / "other-ca")
    if what == "ca" and not os.path.exists(other):
        init_certificates(other, ["127.0.0.1"])
    override = ({"mqtt_password": "not-the-password"} if what == "password"
                else {"ca": os.path.join(other, "ca.crt")})
    proc = _start(site, "bad-" + what, "puck-tls2", **override)
    try:
        time.sleep(3)
        assert proc.poll() is None  # it keeps trying (the one reconnect path), never crashes
        # and the host never heard of it: no command reaches it, nothing of it is stored
        cid = host_cmd = site["host"].send_command("puck-tls2", "identify", {"seconds": 1})
        assert site["host"].wait_response(host_cmd, 1.5) is None, cid
    finally:
        out = _stop(proc)
    host = site["host"]
    assert _known(host, "puck-tls2") == []
    assert "Traceback" not in out, out
