"""hmac256: HMAC-SHA256 against RFC 4231's test vectors, and the constant-time compare."""
import binascii
import sys

for _p in ("firmware", "firmware/lib"):
    if _p not in sys.path:
        sys.path.append(_p)

from puckcore.hmac256 import equal, hmac_sha256  # noqa: E402


def _hex(b):
    return binascii.hexlify(b).decode()


def test_rfc4231_case_1():
    assert _hex(hmac_sha256(b"\x0b" * 20, b"Hi There")) == (
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")


def test_rfc4231_case_2_short_key():
    assert _hex(hmac_sha256(b"Jefe", b"what do ya want for nothing?")) == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")


def test_rfc4231_case_6_key_longer_than_a_block():
    msg = b"Test Using Larger Than Block-Size Key - Hash Key First"
    assert _hex(hmac_sha256(b"\xaa" * 131, msg)) == (
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")


def test_a_different_key_gives_a_different_mac():
    assert hmac_sha256(b"k1" * 16, b"manifest") != hmac_sha256(b"k2" * 16, b"manifest")


def test_equal():
    a = hmac_sha256(b"k", b"m")
    assert equal(a, hmac_sha256(b"k", b"m"))
    assert not equal(a, a[:-1] + bytes([a[-1] ^ 1]))
    assert not equal(a, a[:31])
