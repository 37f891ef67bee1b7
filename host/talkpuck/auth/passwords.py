"""passwords — Argon2id hashes (argon2-cffi), generated passwords, and a check that costs the same for unknown users."""
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from talkpuck.errors import ConfigError

_hasher = PasswordHasher()          # the library's defaults: Argon2id, 64 MiB, 3 passes
MIN_LENGTH = 10
_DUMMY = _hasher.hash("not a password: keeps unknown-user checks as slow as real ones")


def hash_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise ConfigError("password: at least %d characters" % MIN_LENGTH)
    if len(password) > 1024:
        raise ConfigError("password: at most 1024 characters")
    return _hasher.hash(password)


def verify_password(pw_hash: str | None, password: str) -> bool:
    """True when `password` matches; `pw_hash` None (no such user) still spends the hashing time."""
    try:
        return _hasher.verify(pw_hash or _DUMMY, password) and pw_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_password() -> str:
    return secrets.token_urlsafe(15)     # 120 bits, printed once
