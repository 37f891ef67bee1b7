"""The embedded broker: Mosquitto supervised (restarted when it dies), amqtt fallback, external URLs."""
import os
import socket
import time

import paho.mqtt.client as mqtt
import pytest
from waiting import wait_for

from talkpuck.errors import ConfigError
from talkpuck.mqtt.broker import Broker, free_port, is_ours, parse_url, read_record, wait_listening


def _roundtrip(url):
    host, port = parse_url(url)
    got = []
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="t-broker")
    c.on_message = lambda c, u, m: got.append(m.payload)
    c.connect(host, port)
    c.loop_start()
    c.subscribe("t/x", qos=1)
    time.sleep(0.3)
    c.publish("t/x", b"hi", qos=1).wait_for_publish(5)
    deadline = time.time() + 5
    while not got and time.time() < deadline:
        time.sleep(0.05)
    c.loop_stop()
    c.disconnect()
    return got


def test_embedded_mosquitto_is_supervised(tmp_path):
    b = Broker.start(data_dir=str(tmp_path))
    try:
        assert b.kind == "mosquitto"
        assert _roundtrip(b.url) == [b"hi"]
        b.kill_for_test()
        time.sleep(0.3)
        assert wait_listening(b.host, b.port, 10)
        assert b.restarts == 1
        assert _roundtrip(b.url) == [b"hi"]
    finally:
        b.stop()
    assert not wait_listening(b.host, b.port, 0.5)


def test_amqtt_fallback(tmp_path):
    b = Broker.start(data_dir=str(tmp_path), prefer="amqtt")
    try:
        assert b.kind == "amqtt"
        assert _roundtrip(b.url) == [b"hi"]
    finally:
        b.stop()


def test_taken_port_is_replaced():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        taken = s.getsockname()[1]
        assert free_port(taken) != taken


def test_external_url_and_bad_urls():
    b = Broker.start(url="mqtt://broker.example:1999")
    assert (b.kind, b.host, b.port) == ("external", "broker.example", 1999)
    for bad in ("http://x:1", "mqtt://", "mqtt://h:notaport"):
        with pytest.raises(ConfigError):
            parse_url(bad)


def _mosquittos(conf):
    """pids of every live Mosquitto running this config file."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit() and is_ours(int(d), conf):
            with open("/proc/%s/stat" % d) as f:
                if f.read().split(")")[-1].split()[0] != "Z":
                    out.append(int(d))
    return out


def test_embedded_mosquitto_records_pid_and_port_and_keeps_the_port(tmp_path):
    bdir = str(tmp_path / "broker")
    b = Broker.start(data_dir=str(tmp_path))
    try:
        rec = read_record(bdir)
        assert rec["port"] == b.port and rec["pid"] == b._proc.pid
        with open(os.path.join(bdir, "mosquitto.conf")) as f:
            conf = f.read()
        for line in ("persistence true", "autosave_interval 1", "max_queued_messages 100000"):
            assert line in conf
        b.kill_for_test()  # the supervisor's new process is recorded too
        assert wait_for(lambda: b.restarts == 1 and read_record(bdir)["pid"] == b._proc.pid, 10)
    finally:
        b.stop()
    b2 = Broker.start(data_dir=str(tmp_path))  # the same port next time, whatever is free now
    try:
        assert b2.port == rec["port"]
    finally:
        b2.stop()


def test_a_leftover_mosquitto_of_ours_is_replaced_not_duplicated(tmp_path):
    conf = str(tmp_path / "broker" / "mosquitto.conf")
    b = Broker.start(data_dir=str(tmp_path))
    b._stopping.set()  # as if the host died: its supervisor is gone, its Mosquitto runs on
    b._thread.join(2)
    old = b._proc.pid
    assert _mosquittos(conf) == [old]
    b2 = Broker.start(data_dir=str(tmp_path))
    try:
        assert b2.port == b.port
        b._proc.wait(10)  # the leftover was stopped (SIGTERM: it saves its queue first)
        assert b._proc.returncode == 0
        assert _mosquittos(conf) == [b2._proc.pid] and b2._proc.pid != old
        assert _roundtrip(b2.url) == [b"hi"]
    finally:
        b2.stop()
    assert _mosquittos(conf) == []


def test_a_recorded_port_taken_by_another_program_is_a_loud_error(tmp_path):
    b = Broker.start(data_dir=str(tmp_path))
    b.stop()
    with socket.socket() as s:
        s.bind(("127.0.0.1", b.port))
        s.listen()
        with pytest.raises(ConfigError, match="port %d .* is taken" % b.port):
            Broker.start(data_dir=str(tmp_path))
