"""users — web users (role, password hash, rooms), their login sessions and one-time login links.

Secrets are never stored: a session id or login token is kept as its SHA-256, so a copy of the
database does not log anyone in. Password hashing itself lives in `talkpuck.auth.passwords`; this
module stores the hash it is given.
"""
import hashlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import BigInteger, Column, MetaData, String, Table, Text, delete, select, update

from talkpuck.errors import ConfigError, NotFound
from talkpuck.store.base import StoreParts

ROLES = ("admin", "host")
# the tables m002_users creates; a separate MetaData so the m001 table list stays as shipped
metadata = MetaData()
users = Table(
    "users", metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(8), nullable=False),            # admin | host
    Column("pw_hash", Text, nullable=False),              # Argon2id encoded hash
    Column("created_ms", BigInteger, nullable=False),
)
user_rooms = Table(
    "user_rooms", metadata,
    Column("user", String(64), primary_key=True),
    Column("room", String(64), primary_key=True),
)
web_sessions = Table(
    "web_sessions", metadata,
    Column("id_sha", String(64), primary_key=True),       # sha256 of the cookie value
    Column("user", String(64), nullable=False),
    Column("csrf", String(64), nullable=False),           # the synchronizer token of this session
    Column("created_ms", BigInteger, nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
)
login_tokens = Table(
    "login_tokens", metadata,
    Column("token_sha", String(64), primary_key=True),    # sha256 of the one-time link's token
    Column("user", String(64), nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
)
TABLES = (users, user_rooms, web_sessions, login_tokens)


def sha(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_name(name: object) -> str:
    if not isinstance(name, str) or not 1 <= len(name) <= 64 or not all(ch.isalnum() or ch in "._-@" for ch in name):
        raise ConfigError("user name %r: 1-64 letters, digits or . _ - @" % (name,))
    return name


class UsersMixin(StoreParts):
    # -- users --------------------------------------------------------------------------------------
    def add_user(self, name: str, role: str, pw_hash: str, now: int, rooms: Iterable[str] = ()) -> None:
        check_name(name)
        if role not in ROLES:
            raise ConfigError("role %r: one of %s" % (role, ", ".join(ROLES)))
        with self.lock, self.engine.begin() as c:
            if c.execute(select(users.c.name).where(users.c.name == name)).first():
                raise ConfigError("user %r exists" % name)
            c.execute(users.insert().values(name=name, role=role, pw_hash=pw_hash, created_ms=now))
            for room in sorted(set(rooms)):
                c.execute(user_rooms.insert().values(user=name, room=room))

    def set_password(self, name: str, pw_hash: str) -> None:
        with self.lock, self.engine.begin() as c:
            if c.execute(update(users).where(users.c.name == name).values(pw_hash=pw_hash)).rowcount == 0:
                raise NotFound("no such user %r" % name)
            c.execute(delete(web_sessions).where(web_sessions.c.user == name))

    def user(self, name: str) -> dict[str, Any] | None:
        with self.engine.connect() as c:
            r = c.execute(select(users).where(users.c.name == name)).mappings().first()
            if r is None:
                return None
            rooms = c.execute(select(user_rooms.c.room).where(user_rooms.c.user == name)
                              .order_by(user_rooms.c.room)).scalars().all()
        return dict(r, rooms=list(rooms))

    def users(self) -> list[dict[str, Any] | None]:
        with self.engine.connect() as c:
            names = c.execute(select(users.c.name).order_by(users.c.name)).scalars().all()
        return [self.user(n) for n in names]

    def remove_user(self, name: str) -> None:
        with self.lock, self.engine.begin() as c:
            if c.execute(delete(users).where(users.c.name == name)).rowcount == 0:
                raise NotFound("no such user %r" % name)
            for table in (user_rooms, web_sessions, login_tokens):
                c.execute(delete(table).where(table.c.user == name))

    def assign_rooms(self, name: str, add: Iterable[str] = (), remove: Iterable[str] = ()) -> None:
        with self.lock, self.engine.begin() as c:
            if not c.execute(select(users.c.name).where(users.c.name == name)).first():
                raise NotFound("no such user %r" % name)
            for room in remove:
                c.execute(delete(user_rooms).where(user_rooms.c.user == name, user_rooms.c.room == room))
            have = set(c.execute(select(user_rooms.c.room).where(user_rooms.c.user == name)).scalars())
            for room in sorted(set(add) - have):
                c.execute(user_rooms.insert().values(user=name, room=room))

    # -- web sessions -------------------------------------------------------------------------------
    def create_web_session(self, session_id: str, user: str, csrf: str, now: int, expires_ms: int) -> None:
        with self.lock, self.engine.begin() as c:
            c.execute(delete(web_sessions).where(web_sessions.c.expires_ms < now))
            c.execute(web_sessions.insert().values(id_sha=sha(session_id), user=user, csrf=csrf,
                                                   created_ms=now, expires_ms=expires_ms))

    def web_session(self, session_id: str, now: int) -> dict[str, Any] | None:
        """The live session (user, csrf, expires_ms) for a cookie value, or None."""
        with self.engine.connect() as c:
            r = c.execute(select(web_sessions).where(web_sessions.c.id_sha == sha(session_id))).mappings().first()
        if r is None or r["expires_ms"] <= now:
            return None
        return dict(r)

    def end_web_session(self, session_id: str) -> None:
        with self.lock, self.engine.begin() as c:
            c.execute(delete(web_sessions).where(web_sessions.c.id_sha == sha(session_id)))

    # -- one-time login links -----------------------------------------------------------------------
    def add_login_token(self, token: str, user: str, expires_ms: int) -> None:
        with self.lock, self.engine.begin() as c:
            c.execute(login_tokens.insert().values(token_sha=sha(token), user=user, expires_ms=expires_ms))

    def use_login_token(self, token: str, now: int) -> str | None:
        """The user a one-time token names, deleting it (single use); None if unknown or expired."""
        with self.lock, self.engine.begin() as c:
            key = sha(token)
            r = c.execute(select(login_tokens).where(login_tokens.c.token_sha == key)).mappings().first()
            c.execute(delete(login_tokens).where(login_tokens.c.token_sha == key))
        if r is None or r["expires_ms"] <= now:
            return None
        return r["user"]
