"""auth — web logins: password hashes, sessions, CSRF, login rate limits, and the guard in front of every route."""
from talkpuck.auth.config import AuthConfig
from talkpuck.auth.passwords import hash_password, new_password, verify_password
from talkpuck.auth.rooms import can_see

__all__ = ["AuthConfig", "hash_password", "verify_password", "new_password", "can_see"]
