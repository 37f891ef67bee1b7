"""usbframe + linesplit: frames round-trip; no frame ever holds 0x03/0x04 (or any control byte but
its newline), over random payloads; damage of any kind is a ProtocolError; console text is not a
frame; the splitter cuts lines across chunks and skips over-long ones, counted."""
import os
import sys

for _p in ("firmware", "firmware/lib"):
    if _p not in sys.path:
        sys.path.append(_p)

from puckcore.errors import ProtocolError  # noqa: E402
from puckport import usbframe as uf  # noqa: E402
from puckport.linesplit import LineSplitter  # noqa: E402


def _raises(fn, *args):
    try:
        fn(*args)
    except ProtocolError:
        return True
    return False


def test_round_trip_every_kind():
    for kind in uf.NAMES:
        line = uf.encode(kind, 200, 17, 255, b"abc\x00\x03\x04\xff")
        assert line[0] == 0x7E and line[-1] == 10
        k, s, q, a, body = uf.decode(line)
        assert (k, s, q, a, bytes(body)) == (kind, 200, 17, 255, b"abc\x00\x03\x04\xff")
    assert uf.decode(uf.encode(uf.ACK, 1, 0, 3))[4] == b""
    assert uf.decode(uf.encode(uf.PING, 1, 0, 0)[:-1] + b"\r\n")[0] == uf.PING  # CR tolerated


def test_no_frame_holds_a_console_control_byte():
    """Property over random payloads (seeded by os.urandom: a new sample every run), every kind,
    every seq/ack: only printable ASCII and the final newline ever go on the wire."""
    for i in range(300):
        n = (i * 37) % 700
        payload = os.urandom(n)
        line = uf.encode(uf.NAMES and (1 + i % 10), i & 0xFF, (i * 7) & 0xFF, (i * 13) & 0xFF, payload)
        assert line[-1] == 10
        for b in line[:-1]:
            assert 0x20 < b < 0x7F, "byte 0x%02x in a frame" % b
        assert 3 not in line and 4 not in line and 0 not in line
        assert bytes(uf.decode(line)[4]) == payload


def test_biggest_frame_fits_the_line_limit():
    line = uf.encode(uf.PUB, 1, 2, 3, b"\xff" * uf.MAX_PAYLOAD)
    assert len(line) + 1 <= uf.MAX_LINE
    assert _raises(uf.encode, uf.PUB, 1, 2, 3, b"x" * (uf.MAX_PAYLOAD + 1))


def test_damage_is_a_protocol_error():
    line = uf.encode(uf.PUB, 9, 4, 2, uf.pack_pub("talkpuck/v1/p/evt/hand", b'{"seq":1}', 1, False))
    good = uf.decode(line)
    # every single-character change in the body is caught (base64 letter swapped, or a bad byte);
    # the one exception is a letter before the padding whose changed bits base64 ignores, and then
    # the frame decodes to the very same bytes: nothing was damaged
    for i in range(1, len(line) - 1):
        bad = bytearray(line)
        bad[i] = 0x41 if bad[i] != 0x41 else 0x42
        try:
            assert uf.decode(bytes(bad)) == good, i
            assert line[i + 1] == 0x3D, i  # only just before "="
        except ProtocolError:
            pass
        bad[i] = 0x03
        assert _raises(uf.decode, bytes(bad)), i
    assert _raises(uf.decode, line[:20] + b"\n")  # cut short
    assert _raises(uf.decode, b"~\n")
    assert _raises(uf.decode, b"~AAAA\n")  # too short for a header and CRC
    assert _raises(uf.decode, b"hello\n")  # no mark


def test_console_lines_are_not_frames():
    assert not uf.is_frame(b"talkpuck puck-u1 on unix: boot 1a2b3c4d")
    assert not uf.is_frame(b"")
    assert uf.is_frame(uf.encode(uf.PING, 1, 0, 0))


def test_payload_parts():
    body = uf.pack_connect("puck-a1", "pw", "talkpuck/v1/puck-a1/status", b"offline", b"\x01\x02\x03\x04")
    assert uf.unpack_connect(body) == ("puck-a1", "pw", "talkpuck/v1/puck-a1/status", b"offline", b"\x01\x02\x03\x04")
    assert uf.unpack_connect(uf.pack_connect("p", None, "t", b"x"))[1] is None
    assert uf.unpack_pub(uf.pack_pub("a/b", b"{}", 1, True)) == ("a/b", b"{}", 1, True)
    assert uf.unpack_pub(uf.pack_pub("a/b", "x", 0, False)) == ("a/b", b"x", 0, False)
    assert uf.unpack_sub(uf.pack_sub("a/#", 1)) == ("a/#", 1)
    assert uf.unpack_msg(uf.pack_msg("a/cmd/x", b'{"id":"1"}')) == ("a/cmd/x", b'{"id":"1"}')
    assert _raises(uf.unpack_msg, uf.pack_msg("a", b"b") + b"z")  # stray bytes
    assert _raises(uf.unpack_msg, uf.pack_msg("a", b"bc")[:-1])  # cut short
    assert _raises(uf.unpack_sub, uf.pack_sub("a", 2))
    assert _raises(uf.pack_pub, "a", b"", 2, False)


def test_splitter_cuts_lines_across_chunks():
    s = LineSplitter(16)
    data = b"one\ntw"
    i, line = s.feed(data, 0, len(data))
    assert (i, line) == (4, b"one")
    i, line = s.feed(data, i, len(data))
    assert (i, line) == (6, None)
    i, line = s.feed(b"o\n", 0, 2)
    assert line == b"two"


def test_splitter_skips_overlong_lines_counted():
    s = LineSplitter(8)
    data = b"0123456789abcdef\nok\n"
    lines = []
    i = 0
    while i < len(data):
        i, line = s.feed(data, i, len(data))
        if line is not None:
            lines.append(line)
    assert lines == [b"ok"] and s.overflows == 1
