"""credentials — MQTT logins: the host's user and one per puck, in Mosquitto's password file.

The data dir's `security/` folder (0700) holds, besides the certificates (ca.py):

    passwd                Mosquitto 2's password file: `user:$7$<iterations>$<salt>$<PBKDF2-SHA512>`
                          (the format `mosquitto_passwd` writes; written here so that no password
                          ever appears on a command line, where `ps` would show it)
    acl                   the topic rules (mosquitto_conf.py)
    host.json             the host's own login {"user": "host", "password": ...}
    ha.json               Home Assistant's login {"user": "home_assistant", ...} (`talkpuck security
                          ha-login`; the ACL lets it read status/state and the discovery prefix and
                          write only the host's button topic: mosquitto_conf.py)
    devices/<id>.json     a puck's provisioning file: device, broker (mqtts://host:8883),
                          mqtt_password, ca; `talkpuck provision` writes it to the puck with ca.crt

Every file with a secret is 0600. Passwords are 32 random bytes (urlsafe base64), never logged.
The host's user is `host`, a name no puck may take (puckcore.protocol.RESERVED).
"""
import base64
import hashlib
import hmac
import json
import os
import secrets

from puckcore.protocol import HOST, RESERVED, valid_device_id
from talkpuck.errors import ConfigError, NotFound
from talkpuck.security.ca import write_private

HOST_USER = HOST
# Home Assistant's login (docs/home-assistant.md): the underscore keeps it from ever being a device id,
# so the ACL's per-puck `%u` patterns give it no topic a puck could use
HA_USER = "home_assistant"
HA_FILE = "ha.json"
ITERATIONS = 101  # mosquitto_passwd's default; the passwords are random, so the work factor adds little
SALT_BYTES = 12
TLS_PORT = 8883


def security_dir(data_dir: str) -> str:
    return os.path.join(os.path.abspath(data_dir), "security")


def new_password() -> str:
    return secrets.token_urlsafe(32)


def hash_line(user: str, password: str, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    """One line of Mosquitto 2's password file (PBKDF2-SHA512, `$7$`)."""
    salt = salt or os.urandom(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return "%s:$7$%d$%s$%s" % (user, iterations, base64.b64encode(salt).decode(), base64.b64encode(digest).decode())


def check_line(line: str, password: str) -> bool:
    """True when `password` matches a `$7$` line (tests and `device check`)."""
    _user, rest = line.strip().split(":", 1)
    _, seven, iterations, salt, digest = rest.split("$")
    if seven != "7":
        return False
    got = hashlib.pbkdf2_hmac("sha512", password.encode(), base64.b64decode(salt), int(iterations))
    return hmac.compare_digest(got, base64.b64decode(digest))


class Credentials:
    """The password file, the host's login and the pucks' provisioning files under `sec_dir`."""

    def __init__(self, sec_dir: str) -> None:
        self.dir = sec_dir
        self.passwd = os.path.join(sec_dir, "passwd")
        self.devices_dir = os.path.join(sec_dir, "devices")

    # -- the password file ----------------------------------------------------------------------------
    def users(self) -> dict[str, str]:
        """{user: line} of the password file."""
        out: dict[str, str] = {}
        try:
            with open(self.passwd) as f:
                for line in f:
                    if ":" in line:
                        out[line.split(":", 1)[0]] = line.rstrip("\n")
        except FileNotFoundError:
            pass
        return out

    def _write_users(self, users: dict[str, str]) -> None:
        write_private(self.passwd, "".join(users[u] + "\n" for u in sorted(users)))

    def set_password(self, user: str, password: str) -> None:
        users = self.users()
        users[user] = hash_line(user, password)
        self._write_users(users)

    # -- the host and Home Assistant -----------------------------------------------------------------
    def ensure_host(self) -> tuple[str, str]:
        """The host's (user, password), made on first use."""
        return self._ensure_login(HOST_USER, "host.json")

    def ensure_ha(self) -> tuple[str, str, str]:
        """Home Assistant's (user, password) and the path of ha.json, made on first use (talkpuck.ha)."""
        user, password = self._ensure_login(HA_USER, HA_FILE)
        return user, password, os.path.join(self.dir, HA_FILE)

    def _ensure_login(self, user: str, name: str) -> tuple[str, str]:
        path = os.path.join(self.dir, name)
        if os.path.exists(path) and user in self.users():
            with open(path) as f:
                doc = json.load(f)
            return doc["user"], doc["password"]
        password = new_password()
        self.set_password(user, password)
        write_private(path, json.dumps({"user": user, "password": password}))
        return user, password

    # -- pucks ----------------------------------------------------------------------------------------
    def device_path(self, device: str) -> str:
        return os.path.join(self.devices_dir, device + ".json")

    def add_device(self, device: str, broker_host: str, port: int = TLS_PORT, replace: bool = False) -> str:
        """A new login for `device`: its password in the password file and its provisioning file
        (returned as its path). An existing device is refused unless `replace` (a new password)."""
        if not valid_device_id(device):
            raise ConfigError("device: %r must be 1-32 characters of a-z 0-9 - and not %s"
                              % (device, " or ".join(RESERVED)))
        if not os.path.exists(os.path.join(self.dir, "ca.crt")):
            raise ConfigError("security: not initialised (run `talkpuck security init` first)")
        if device in self.users() and not replace:
            raise ConfigError("device %s: already has a login (--replace makes a new password)" % device)
        host = "[%s]" % broker_host if ":" in broker_host else broker_host
        password = new_password()
        self.set_password(device, password)
        os.makedirs(self.devices_dir, mode=0o700, exist_ok=True)
        doc = {"device": device, "broker": "mqtts://%s:%d" % (host, port), "mqtt_password": password,
               "ca": "ca.crt", "ota_key": os.urandom(32).hex()}  # ota_key: signs this puck's updates only
        path = self.device_path(device)
        write_private(path, json.dumps(doc, indent=1) + "\n")
        with open(os.path.join(self.dir, "ca.crt"), "rb") as f:
            ca = f.read()
        with open(os.path.join(self.devices_dir, "ca.crt"), "wb") as f:  # beside it: the puck's copy
            f.write(ca)
        return path

    def ota_key(self, device: str) -> bytes:
        """The key that signs `device`'s firmware updates (bytes); NotFound without one."""
        try:
            with open(self.device_path(device)) as f:
                return bytes.fromhex(json.load(f)["ota_key"])
        except (OSError, ValueError, KeyError):
            raise NotFound("device %s: no ota_key in its provisioning file (talkpuck device add --replace "
                           "makes one; then provision the puck)" % device)

    def remove_device(self, device: str) -> None:
        users = self.users()
        if device not in users or device in (HOST_USER, HA_USER):
            raise NotFound("device %s: has no login" % device)
        del users[device]
        self._write_users(users)
        try:
            os.remove(self.device_path(device))
        except FileNotFoundError:
            pass

    def devices(self) -> list[str]:
        return sorted(u for u in self.users() if u not in (HOST_USER, HA_USER))
