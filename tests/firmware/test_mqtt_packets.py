"""mqtt_packets: MQTT 3.1.1 packets byte for byte (spec examples) and round trips."""
import sys

for _p in ("firmware", "firmware/lib"):
    if _p not in sys.path:
        sys.path.append(_p)

import mqtt_packets as mp  # noqa: E402


def test_remaining_length_encoding():
    # MQTT 3.1.1 table 2.4 boundaries
    assert mp.encode_length(0) == b"\x00"
    assert mp.encode_length(127) == b"\x7f"
    assert mp.encode_length(128) == b"\x80\x01"
    assert mp.encode_length(16383) == b"\xff\x7f"
    assert mp.encode_length(16384) == b"\x80\x80\x01"
    assert mp.encode_length(268435455) == b"\xff\xff\xff\x7f"
    try:
        mp.encode_length(268435456)
        raise AssertionError("no error")
    except ValueError:
        pass


def test_connect_with_will_user_and_persistent_session():
    p = mp.connect_packet("puck-a1", 60, False, "talkpuck/v1/puck-a1/status", b"offline", 1, True, "puck-a1")
    assert p[0] == 0x10
    body = p[2:]
    assert p[1] == len(body)
    assert body[:7] == b"\x00\x04MQTT\x04"
    flags = body[7]
    assert flags & 0x02 == 0  # clean_session=False
    assert flags & 0x04  # will
    assert (flags >> 3) & 3 == 1  # will QoS 1
    assert flags & 0x20  # will retain
    assert flags & 0x80 and not flags & 0x40  # user name, no password
    assert body[8:10] == b"\x00\x3c"
    assert body[10:19] == b"\x00\x07puck-a1"
    assert body.endswith(b"\x00\x07offline\x00\x07puck-a1")


def test_connect_with_password():
    p = mp.connect_packet("d", 30, True, None, b"", 1, True, "d", "pw")
    flags = p[2 + 7]
    assert flags == 0x02 | 0x80 | 0x40
    assert p.endswith(b"\x00\x01d\x00\x01d\x00\x02pw")


def test_connack():
    assert mp.parse_connack(b"\x01\x00") is True
    assert mp.parse_connack(b"\x00\x00") is False
    try:
        mp.parse_connack(b"\x00\x05")
        raise AssertionError("no error")
    except ValueError as e:
        assert "not authorized" in str(e)


def test_publish_round_trip_qos1_retain():
    payload = b'{"v": 1}'
    h = mp.publish_header("a/b", len(payload), 1, True, 0x1234)
    assert h[0] == 0x33
    packet = h + payload
    body = packet[2:]
    assert packet[1] == len(body)
    assert mp.parse_publish(packet[0], body) == ("a/b", payload, 1, 0x1234, True)


def test_publish_qos0_and_long_payload():
    payload = b"x" * 300
    h = mp.publish_header("t", len(payload), 0, False)
    assert h[0] == 0x30 and h[1:3] == mp.encode_length(3 + 300)
    assert mp.parse_publish(h[0], (h + payload)[3:]) == ("t", payload, 0, 0, False)


def test_bad_publish_raises_value_error():
    for body in (b"", b"\x00\x09ab", b"\x00\x01a"):
        try:
            mp.parse_publish(0x32, body)
            raise AssertionError("no error for %r" % body)
        except ValueError:
            pass


def test_puback_subscribe_suback():
    assert mp.puback_packet(0x0102) == b"\x40\x02\x01\x02"
    s = mp.subscribe_packet(7, "talkpuck/v1/p/cmd/#", 1)
    assert s[0] == 0x82 and s[1] == len(s) - 2
    assert s[2:4] == b"\x00\x07" and s.endswith(b"#\x01")
    assert mp.packet_id(b"\x00\x07\x01") == 7
    assert mp.suback_ok(b"\x00\x07\x01") is True
    assert mp.suback_ok(b"\x00\x07\x80") is False
