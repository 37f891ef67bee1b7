"""links — one-time login links: a single-use token URL that logs a browser in (the demo prints one)."""
import secrets
import time
from typing import TYPE_CHECKING

from talkpuck.auth.config import AuthConfig

if TYPE_CHECKING:
    from talkpuck.store import Store


def issue_login_link(store: "Store", user: str, base_url: str, ttl_s: float = AuthConfig.login_link_ttl_s) -> str:
    token = secrets.token_urlsafe(32)
    store.add_login_token(token, user, int((time.time() + ttl_s) * 1000))
    return base_url.rstrip("/") + "/login/link?token=" + token


DEMO_USER = "demo"


def demo_login_link(store: "Store", base_url: str) -> str:
    """The demo's own admin (made once, with a random password nobody sees) and a fresh one-time link to it.

    Runs the same on every `make demo`: the user is made only if missing; each run prints a new link.
    """
    from talkpuck.auth.passwords import hash_password, new_password
    if store.user(DEMO_USER) is None:
        store.add_user(DEMO_USER, "admin", hash_password(new_password()), int(time.time() * 1000))
    return issue_login_link(store, DEMO_USER, base_url)
