"""MqttLink hands messages in batches and acks only what the handler stored: a batch refused half
way (StoreUnavailable with .done) acks its stored half and hands the rest again, in order, once."""
import threading
import time

import paho.mqtt.client as mqtt

from conftest import wait_for
from talkpuck.errors import StoreUnavailable
from talkpuck.mqtt.broker import parse_url
from talkpuck.mqtt.link import MqttLink


def _publisher(url, n):
    host, port = parse_url(url)
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="pub-batches", clean_session=True)
    c.max_inflight_messages_set(200)
    c.connect(host, port)
    c.loop_start()
    last = None
    for i in range(n):
        last = c.publish("talkpuck/v1/puck-b/evt/vad", b"%d" % i, qos=1)
    last.wait_for_publish(30)
    c.loop_stop()
    c.disconnect()


def test_batches_ack_what_was_stored_and_hand_the_rest_again_in_order(private_mosquitto):
    got, sizes, refused = [], [], []
    lock = threading.Lock()

    def on_batch(items):
        with lock:
            sizes.append(len(items))
            if len(items) > 4 and not refused:        # the store takes 3, then "fills up"
                refused.append([p for _, p, _ in items])
                got.extend(int(p) for _, p, _ in items[:3])
                e = StoreUnavailable("full")
                e.done = 3
                raise e
            got.extend(int(p) for _, p, _ in items)

    link = MqttLink(private_mosquitto.url, "batch-test", ["talkpuck/v1/+/evt/#"], on_batch=on_batch)
    link.retry_s = 0.2
    gate = threading.Event()
    real = link._deliver

    def slow_first(msgs):                              # hold the first delivery so a backlog builds up
        gate.wait(10)
        return real(msgs)
    link._deliver = slow_first
    link.start()
    n = 300
    try:
        _publisher(private_mosquitto.url, n)
        time.sleep(0.3)
        assert link.busy(), "a batch being handled and a backlog behind it are not idle"
        gate.set()
        assert wait_for(lambda: len(got) >= n, 20), len(got)
        time.sleep(1.0)                                # nothing more comes: every stored one was acked
        assert got == list(range(n)), "lost, duplicated or reordered"
        assert refused and max(sizes) > 4, sizes       # batches, and one was refused half way
        assert link.retried >= 1 and not link.pending and not link.busy()
    finally:
        link.stop()
    # the broker holds nothing unacked for the session: a reconnect with the same id gets nothing
    again = []
    link2 = MqttLink(private_mosquitto.url, "batch-test", ["talkpuck/v1/+/evt/#"],
                     on_batch=lambda items: again.extend(items))
    link2.start()
    try:
        time.sleep(1.0)
        assert again == []
    finally:
        link2.stop()
