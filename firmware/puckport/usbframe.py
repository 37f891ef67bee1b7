"""usbframe — the USB serial link's frames: checksummed base64 text lines that never hold 0x03/0x04.

Pure and portable (MicroPython and CPython): the puck's UsbLink (firmware/lib/usb_link.py) and the
host's bridge (host/talkpuck/bridge/) encode and decode with this one module.

The USB port is also MicroPython's console, where 0x03 (Ctrl-C) interrupts the program and 0x04
(Ctrl-D) soft-resets at the REPL. So a frame is one line of printable text:

    "~" + base64(body) + "\\n"        body = kind, session, seq, ack (1 byte each), payload, CRC-32 (4, LE)

Base64 uses only A-Z a-z 0-9 + / =, so no control byte ever crosses the cable raw, and the puck's
own console output (print, tracebacks) is told apart from frames by the leading "~": the bridge logs
such lines instead of treating them as broken. The CRC-32 (binascii's, the zlib polynomial) is over
kind..payload; any line starting with "~" that fails base64, length or CRC is a broken frame:
`decode` raises ProtocolError and the caller counts it and skips it (the sender retransmits).

Kinds (`session` is the puck's random id for one connection; `seq`/`ack` are ARQ numbers, usbarq):

    CONNECT  puck -> bridge  client id, password, will topic, will payload, a random nonce (starts a
                             session; a repeat with the same session and nonce is a retry)
    CONNACK  bridge -> puck  empty when connected to the broker, else the reason it is not
    PUB      puck -> bridge  sequenced: flags (qos | retain << 1), topic, payload
    SUB      puck -> bridge  sequenced: qos, topic
    MSG      bridge -> puck  sequenced: topic, payload (a command)
    ACK      either way      only the cumulative ack
    PING / PONG              keepalive (puck asks, bridge answers)
    DOWN     bridge -> puck  the session is gone (bridge restarted, broker lost): reason text
    CLOSE    puck -> bridge  clean disconnect (no last will)
"""
import binascii

from puckcore.errors import ProtocolError

CONNECT = 1
CONNACK = 2
PUB = 3
SUB = 4
MSG = 5
ACK = 6
PING = 7
PONG = 8
DOWN = 9
CLOSE = 10
SEQUENCED = (PUB, SUB, MSG)
NAMES = {CONNECT: "connect", CONNACK: "connack", PUB: "pub", SUB: "sub", MSG: "msg", ACK: "ack",
         PING: "ping", PONG: "pong", DOWN: "down", CLOSE: "close"}

MARK = 0x7E  # "~": a frame line starts with it
HEADER = 4
CRC_LEN = 4
MAX_PAYLOAD = 2048  # bytes of payload in one frame (a topic plus a JSON document)
MAX_LINE = 1 + 4 * ((HEADER + MAX_PAYLOAD + CRC_LEN + 2) // 3) + 2  # with "~" and "\r\n"

def crc32(data):
    """CRC-32 (zlib's) as 4 little-endian bytes. binascii.crc32 is on every port the puck runs on
    (esp32, rp2 and unix build it in); bytes, so no arithmetic on the 32-bit value (a long on a device)."""
    return binascii.crc32(data).to_bytes(4, "little")


def encode(kind, session, seq, ack, payload=b""):
    """One frame as a line of bytes (ends with b"\\n"). Allocates the body and the line, per frame."""
    n = len(payload)
    if n > MAX_PAYLOAD:
        raise ProtocolError("usb frame: payload of %d bytes (max %d)" % (n, MAX_PAYLOAD))
    body = bytearray(HEADER + n + CRC_LEN)
    body[0] = kind
    body[1] = session & 0xFF
    body[2] = seq & 0xFF
    body[3] = ack & 0xFF
    body[HEADER:HEADER + n] = payload
    body[HEADER + n:] = crc32(memoryview(body)[:HEADER + n])
    return b"~" + binascii.b2a_base64(body)  # pyright: ignore[reportArgumentType]  (takes any buffer); ends with b"\n"


def is_frame(line):
    """True when the line (without its newline) is meant as a frame; else it is console output."""
    return len(line) > 0 and line[0] == MARK


def decode(line):
    """A frame line (b"~...", trailing whitespace allowed) -> (kind, session, seq, ack, payload bytes).
    ProtocolError naming what is wrong for anything that is not a whole, intact frame."""
    end = len(line)
    while end and line[end - 1] in (10, 13, 32):
        end -= 1
    if not end or line[0] != MARK:
        raise ProtocolError("usb frame: no ~ mark")
    text = bytes(line[1:end])
    for b in text:  # only base64 characters (a2b_base64 on MicroPython skips others silently)
        if not (65 <= b <= 90 or 97 <= b <= 122 or 48 <= b <= 57 or b == 43 or b == 47 or b == 61):
            raise ProtocolError("usb frame: byte 0x%02x is not base64" % b)
    try:
        body = binascii.a2b_base64(text)
    except ValueError:  # binascii.Error is a ValueError
        raise ProtocolError("usb frame: bad base64")
    n = len(body)
    if n < HEADER + CRC_LEN:
        raise ProtocolError("usb frame: %d bytes, too short" % n)
    if crc32(memoryview(body)[:n - CRC_LEN]) != body[n - CRC_LEN:]:
        raise ProtocolError("usb frame: CRC mismatch")
    kind = body[0]
    if kind not in NAMES:
        raise ProtocolError("usb frame: unknown kind %d" % kind)
    return kind, body[1], body[2], body[3], body[HEADER:n - CRC_LEN]


# -- payloads of the kinds that carry fields: length-prefixed parts --------------------------------
def _join(parts):
    size = 0
    for p in parts:
        size += 2 + len(p)
    out = bytearray(size)
    i = 0
    for p in parts:
        n = len(p)
        out[i] = n >> 8
        out[i + 1] = n & 0xFF
        out[i + 2:i + 2 + n] = p
        i += 2 + n
    return out


def _split(payload, count, what):
    parts = []
    i = 0
    n = len(payload)
    for _ in range(count):
        if i + 2 > n:
            raise ProtocolError("usb frame: %s payload cut short" % what)
        k = (payload[i] << 8) | payload[i + 1]
        if i + 2 + k > n:
            raise ProtocolError("usb frame: %s payload cut short" % what)
        parts.append(bytes(payload[i + 2:i + 2 + k]))
        i += 2 + k
    if i != n:
        raise ProtocolError("usb frame: %s payload has %d stray bytes" % (what, n - i))
    return parts


def _b(s):
    return s.encode() if type(s) is str else bytes(s)


def pack_connect(client_id, password, will_topic, will_payload, nonce=b""):
    return _join((_b(client_id), _b(password or ""), _b(will_topic), _b(will_payload), nonce))


def unpack_connect(payload):
    """-> (client_id str, password str or None, will_topic str, will_payload bytes, nonce bytes)"""
    cid, pw, wt, wp, nonce = _split(payload, 5, "connect")
    return cid.decode(), (pw.decode() or None), wt.decode(), wp, nonce


def pack_pub(topic, payload, qos, retain):
    if qos not in (0, 1):
        raise ProtocolError("usb frame: qos %r (0 or 1)" % (qos,))
    return _join((bytes((qos | (2 if retain else 0),)), _b(topic), _b(payload)))


def unpack_pub(payload):
    """-> (topic str, payload bytes, qos, retain)"""
    flags, topic, body = _split(payload, 3, "pub")
    if len(flags) != 1 or flags[0] & 0xFC:
        raise ProtocolError("usb frame: pub flags")
    return topic.decode(), body, flags[0] & 1, bool(flags[0] & 2)


def pack_sub(topic, qos):
    return _join((bytes((qos,)), _b(topic)))


def unpack_sub(payload):
    """-> (topic str, qos)"""
    qos, topic = _split(payload, 2, "sub")
    if len(qos) != 1 or qos[0] > 1:
        raise ProtocolError("usb frame: sub qos")
    return topic.decode(), qos[0]


def pack_msg(topic, payload):
    return _join((_b(topic), _b(payload)))


def unpack_msg(payload):
    """-> (topic str, payload bytes)"""
    topic, body = _split(payload, 2, "msg")
    return topic.decode(), body
