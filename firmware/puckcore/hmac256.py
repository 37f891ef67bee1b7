"""hmac256 — HMAC-SHA256 (RFC 2104) in a few lines over hashlib.sha256, and a constant-time compare.

MicroPython has hashlib.sha256 but no hmac module. Used to authenticate a firmware manifest under
the puck's own key (puckport/fwupdate.py); the host signs with Python's hmac (deploy/bundle.py), and
tests/firmware/test_hmac256.py checks both against RFC 4231's vectors.
"""
import hashlib

BLOCK = 64  # SHA-256 block size, bytes


def hmac_sha256(key, msg):
    """The 32-byte HMAC-SHA256 of bytes `msg` under bytes `key`."""
    if len(key) > BLOCK:
        key = hashlib.sha256(key).digest()
    key = key + bytes(BLOCK - len(key))
    inner = hashlib.sha256(bytes([b ^ 0x36 for b in key]))
    inner.update(msg)
    outer = hashlib.sha256(bytes([b ^ 0x5C for b in key]))
    outer.update(inner.digest())
    return outer.digest()


def equal(a, b):
    """True when bytes a == b, in a time that does not depend on where they differ."""
    if len(a) != len(b):
        return False
    diff = 0
    for i in range(len(a)):
        diff |= a[i] ^ b[i]
    return diff == 0
