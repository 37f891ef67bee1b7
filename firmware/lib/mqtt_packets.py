"""mqtt_packets — MQTT 3.1.1 packets the puck needs, encoded and decoded as bytes (pure, no I/O).

Only what a QoS 0/1 client uses: CONNECT (will, clean session flag, username/password), CONNACK,
PUBLISH (both directions), PUBACK, SUBSCRIBE/SUBACK, PINGREQ/PINGRESP, DISCONNECT. Packet types are
the high nibble of the first byte. Malformed input raises ValueError (the client turns it into an
OSError, so a broken stream takes the one reconnect path). Spec: MQTT Version 3.1.1, OASIS 2014.
"""
CONNECT = 0x10
CONNACK = 0x20
PUBLISH = 0x30
PUBACK = 0x40
SUBSCRIBE = 0x80
SUBACK = 0x90
PINGREQ = 0xC0
PINGRESP = 0xD0
DISCONNECT = 0xE0

PINGREQ_PACKET = b"\xc0\x00"
DISCONNECT_PACKET = b"\xe0\x00"
MAX_LENGTH = 268435455  # the largest remaining length 4 bytes can say
CONNACK_ERRORS = {
    1: "unacceptable protocol version",
    2: "identifier rejected",
    3: "server unavailable",
    4: "bad user name or password",
    5: "not authorized",
}


def encode_length(n):
    if n < 0 or n > MAX_LENGTH:
        raise ValueError("MQTT remaining length %d out of range" % n)
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _str(s):
    b = s.encode() if type(s) is str else bytes(s)
    if len(b) > 65535:
        raise ValueError("MQTT string too long")
    return bytes((len(b) >> 8, len(b) & 0xFF)) + b


def connect_packet(client_id, keepalive_s=60, clean=False, will_topic=None, will_payload=b"",
                   will_qos=1, will_retain=True, user=None, password=None):
    flags = 0
    if clean:
        flags |= 0x02
    payload = _str(client_id)
    if will_topic:
        flags |= 0x04 | (will_qos << 3) | (0x20 if will_retain else 0)
        payload += _str(will_topic) + _str(will_payload)
    if user is not None:
        flags |= 0x80
        payload += _str(user)
        if password:
            flags |= 0x40
            payload += _str(password)
    var = b"\x00\x04MQTT\x04" + bytes((flags, (keepalive_s >> 8) & 0xFF, keepalive_s & 0xFF))
    body = var + payload
    return bytes((CONNECT,)) + encode_length(len(body)) + body


def parse_connack(body):
    """-> session_present (bool); raises ValueError with the broker's reason on refusal."""
    if len(body) != 2:
        raise ValueError("MQTT CONNACK of %d bytes" % len(body))
    rc = body[1]
    if rc:
        raise ValueError("MQTT connect refused: %s" % CONNACK_ERRORS.get(rc, "code %d" % rc))
    return bool(body[0] & 1)


def publish_header(topic, payload_len, qos=0, retain=False, pid=0, dup=False):
    """Fixed and variable header of a PUBLISH; the payload is written after it as is (no copy)."""
    first = PUBLISH | (qos << 1) | (1 if retain else 0) | (0x08 if dup else 0)
    var = _str(topic)
    if qos:
        var += bytes((pid >> 8, pid & 0xFF))
    return bytes((first,)) + encode_length(len(var) + payload_len) + var


def parse_publish(first, body):
    """-> (topic str, payload bytes, qos, pid, retain) of an incoming PUBLISH."""
    qos = (first >> 1) & 3
    if qos > 2 or len(body) < 2:
        raise ValueError("MQTT bad PUBLISH")
    n = (body[0] << 8) | body[1]
    if 2 + n > len(body):
        raise ValueError("MQTT PUBLISH topic past the end")
    topic = bytes(body[2:2 + n]).decode()
    i = 2 + n
    pid = 0
    if qos:
        if i + 2 > len(body):
            raise ValueError("MQTT PUBLISH without packet id")
        pid = (body[i] << 8) | body[i + 1]
        i += 2
    return topic, bytes(body[i:]), qos, pid, bool(first & 1)


def puback_packet(pid):
    return bytes((PUBACK, 2, pid >> 8, pid & 0xFF))


def subscribe_packet(pid, topic, qos):
    body = bytes((pid >> 8, pid & 0xFF)) + _str(topic) + bytes((qos,))
    return bytes((SUBSCRIBE | 0x02,)) + encode_length(len(body)) + body


def packet_id(body):
    """The packet id of a PUBACK or SUBACK body."""
    if len(body) < 2:
        raise ValueError("MQTT ack without packet id")
    return (body[0] << 8) | body[1]


def suback_ok(body):
    """True when the broker granted the subscription (return code 0..2, not 0x80)."""
    return len(body) >= 3 and body[2] != 0x80
