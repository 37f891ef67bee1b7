"""The embedded broker: Mosquitto supervised (restarted when it dies), amqtt fallback, external URLs."""
import socket
import time

import paho.mqtt.client as mqtt
import pytest

from talkpuck.errors import ConfigError
from talkpuck.mqtt.broker import Broker, free_port, parse_url, wait_listening


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
