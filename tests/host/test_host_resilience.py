"""The host keeps every QoS 1 event across a broker restart and across its own restart; works on PostgreSQL."""
from conftest import Puck, start_mosquitto, wait_for

from talkpuck.service.hostapp import HostApp

BOOT = "0badcafe"


def _info(puck):
    puck.send("talkpuck/v1/%s/info" % puck.device, {"v": 1, "boot": BOOT, "ms": 100, "fw": "t", "board": "b", "leds": 16,
              "room": "Resilience", "caps": [], "prev_boot": None, "prev_seq": 0}, retain=True)


def _vad(puck, seq, wait=True):
    p = {"v": 1, "boot": BOOT, "seq": seq, "ms": 1000 * seq, "from_ms": 0, "to_ms": 1000 * seq, "speech_ms": 0,
         "turns": 0, "level_db": -40, "noise_db": -60}
    return puck.send("talkpuck/v1/%s/evt/vad" % puck.device, p, wait=wait)


def test_broker_restart_loses_no_qos1_event(tmp_path):
    # the embedded broker keeps its store on disk: the host's session survives the restart
    broker = start_mosquitto(str(tmp_path / "broker"))
    host = HostApp(broker.url, data_dir=str(tmp_path / "var"))
    host.start()
    puck = Puck(broker.url, "puck-restart")
    try:
        _info(puck)
        for seq in range(1, 6):
            _vad(puck, seq)
        assert wait_for(lambda: host.stats()["events_stored"] == 5)
        broker.stop()
        assert wait_for(lambda: not host.link.up.is_set(), 10)
        for seq in range(6, 9):                  # produced while the broker is down
            _vad(puck, seq, wait=False)
        broker = start_mosquitto(str(tmp_path / "broker"), port=broker.port)  # the same store and port
        assert wait_for(lambda: host.link.up.is_set(), 40), "ingest reconnects with backoff"
        assert wait_for(lambda: puck.c.is_connected(), 40)
        for seq in range(6, 9):                  # like a puck's outbox: resent until PUBACKed
            _vad(puck, seq)
        for seq in range(9, 11):
            _vad(puck, seq)
        assert wait_for(lambda: host.stats()["events_stored"] == 10, 20), host.stats()
        assert host.wait_idle(0.5, 10)
        st = host.stats()
        assert st["events_lost"] == 0 and st["events_stored"] == 10 and st["rejected"] == {}
        assert host.link.connects >= 2
    finally:
        puck.close()
        host.stop()
        broker.stop()


def test_host_restart_gets_what_was_published_while_it_was_down(mosquitto, tmp_path):
    data = str(tmp_path / "var")
    puck = Puck(mosquitto.url, "puck-hostdown")
    host = HostApp(mosquitto.url, data_dir=data)
    host.start()
    try:
        _info(puck)
        for seq in (1, 2, 3):
            _vad(puck, seq)
        assert wait_for(lambda: host.stats()["events_stored"] == 3)
    finally:
        host.stop()
    for seq in (4, 5, 6):                       # the broker queues these for the host's persistent session
        _vad(puck, seq)
    host = HostApp(mosquitto.url, data_dir=data)
    host.start()
    try:
        assert wait_for(lambda: host.stats()["events_stored"] == 6), host.stats()
        assert host.stats()["events_lost"] == 0
    finally:
        host.stop()
        puck.close()


def test_host_on_each_database(mosquitto, db_url, tmp_path):
    host = HostApp(mosquitto.url, db_url=db_url, data_dir=str(tmp_path / "var"))
    host.start()
    puck = Puck(mosquitto.url, "puck-db-" + host.store.dialect[:4])
    try:
        puck.example("info")
        puck.example("evt_session_running")
        puck.example("evt_turn")
        puck.example("evt_turn")
        puck.example("evt_hand_raise")
        assert wait_for(lambda: host.stats()["events_stored"] == 3)
        assert wait_for(lambda: host.stats()["duplicates_dropped"] == 1)
        host.acknowledge_hand(puck.device, "7f3a9c2e", 19)
        assert wait_for(lambda: puck.commands("hand_ack"))
        s = host.session("s-20261121-0001")
        assert s["turns"] == 1 and s["hand_raises"] == 1 and s["hands_acked"] == 1
    finally:
        puck.close()
        host.stop()
