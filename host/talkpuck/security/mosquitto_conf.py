"""mosquitto_conf — the listener and access lines of the Mosquitto config for `serve --listen`.

    SecureBroker(sec_dir, listen_addr, tls_port).listener_lines(local_port)

gives the lines the embedded broker (talkpuck.mqtt.broker) writes instead of its localhost-only
listener:

    per_listener_settings false
    allow_anonymous false          no login, no connection: on every listener
    password_file <sec>/passwd     (credentials.py)
    acl_file <sec>/acl             (acl_text below)
    listener <local_port> 127.0.0.1            the host's own link, plain, loopback only
    listener <tls_port> <listen_addr>          TLS for the pucks: cafile/certfile/keyfile, TLS 1.2+

The TLS port is fixed by configuration (8883 by default) because every puck is provisioned with
it: `check_port()` raises ListenError when something holds it, and nothing ever moves it.

The ACL (Mosquitto matches `%u` to the login's user name, which for a puck is its device id):
the host user reads and writes everything under talkpuck/ and the Home Assistant discovery prefix;
Home Assistant's user (talkpuck.ha, `talkpuck security ha-login`) reads the pucks' status and state
and the discovery prefix, and writes only its birth message and the host's button topic; a puck writes only its own device
topics (status, info, state, tele, resp, evt/#: never cmd/, so no puck sends commands, not even to
itself) and reads only its own cmd/# and the group's talkpuck/v1/all/cmd/#. Mosquitto's ACL cannot
see the retain flag: the host never publishes a retained command and clears any it finds
(commands/sender.py), and the puck drops retained commands (puckcore/puck.py).
"""
import os
import socket

from puckcore.protocol import GROUP, PLAIN_KINDS, ROOT
from talkpuck.errors import ConfigError, ListenError
from talkpuck.ha.discovery import BUTTON_SUBSCRIPTION, check_prefix
from talkpuck.ha.discovery import PREFIX_DEFAULT as HA_PREFIX
from talkpuck.security.credentials import HA_USER, HOST_USER, TLS_PORT, Credentials

ACL_NAME = "acl"


def acl_text(ha_prefix: str = HA_PREFIX) -> str:
    lines = ["# written by talkpuck (talkpuck/security/mosquitto_conf.py): do not edit, it is rewritten",
             "user %s" % HOST_USER,
             "topic readwrite %s/#" % ROOT.split("/")[0],
             "# Home Assistant discovery: the host publishes the configs and hears Home Assistant's birth",
             "topic readwrite %s/#" % ha_prefix,
             "",
             "# Home Assistant (talkpuck.ha): reads the pucks' status and state and the discovery configs;",
             "# writes only its birth message and the host's button topic (the host turns a press into a command)",
             "user %s" % HA_USER,
             "topic read %s/+/status" % ROOT,
             "topic read %s/+/state" % ROOT,
             "topic read %s/#" % ha_prefix,
             "topic write %s/status" % ha_prefix,
             "topic write %s" % BUTTON_SUBSCRIPTION,
             "",
             "# every puck: %u is its login, which is its device id"]
    for kind in PLAIN_KINDS:
        lines.append("pattern write %s/%%u/%s" % (ROOT, kind))
    lines.append("pattern write %s/%%u/evt/#" % ROOT)
    lines.append("pattern read %s/%%u/cmd/#" % ROOT)
    # a pattern without %u applies to every login (a plain `topic` line here would be the host's);
    # Mosquitto warns that it has no %u: that is meant
    lines.append("pattern read %s/%s/cmd/#" % (ROOT, GROUP))
    return "\n".join(lines) + "\n"


def check_port(addr: str, port: int) -> None:
    """ListenError when `port` on `addr` is taken: the pucks are configured with it, it never moves."""
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    with socket.socket(family) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Mosquitto binds
        try:
            s.bind((addr, port))
        except OSError as e:
            raise ListenError("MQTT TLS port %d on %s is taken (%s): the pucks are configured with it, so it "
                              "is never moved; stop what holds it or set another port in the config and "
                              "re-provision the pucks" % (port, addr, e.strerror or e))


class SecureBroker:
    """What `Broker.start(secure=...)` needs to run Mosquitto with TLS, logins and the ACL."""

    def __init__(self, sec_dir: str, listen_addr: str, tls_port: int | str = TLS_PORT, ha_prefix: str | None = None) -> None:
        self.dir = sec_dir
        self.listen_addr = listen_addr
        self.tls_port = int(tls_port)
        if not 0 < self.tls_port < 65536:
            raise ConfigError("mqtt_tls_port: must be 1..65535, got %r" % (tls_port,))
        for name in ("ca.crt", "broker.crt", "broker.key"):
            if not os.path.exists(os.path.join(sec_dir, name)):
                raise ConfigError("security: %s missing in %s (run `talkpuck security init`)" % (name, sec_dir))
        self.creds = Credentials(sec_dir)
        self.user, self.password = self.creds.ensure_host()
        self.acl_path = os.path.join(sec_dir, ACL_NAME)
        with open(self.acl_path, "w") as f:
            f.write(acl_text(check_prefix(ha_prefix or HA_PREFIX)))

    def check_ports(self) -> None:
        check_port(self.listen_addr, self.tls_port)

    def listener_lines(self, local_port: int) -> str:
        d = self.dir
        return ("per_listener_settings false\n"
                "allow_anonymous false\n"
                "password_file %s\n"
                "acl_file %s\n"
                "listener %d 127.0.0.1\n"
                "listener %d %s\n"
                "cafile %s\n"
                "certfile %s\n"
                "keyfile %s\n"
                "tls_version tlsv1.2\n"
                % (os.path.join(d, "passwd"), self.acl_path, local_port, self.tls_port, self.listen_addr,
                   os.path.join(d, "ca.crt"), os.path.join(d, "broker.crt"), os.path.join(d, "broker.key")))

    def host_url(self, local_port: int) -> str:
        """The host's own link: plain on loopback, with the host's login."""
        return "mqtt://%s:%s@127.0.0.1:%d" % (self.user, self.password, local_port)

    @property
    def puck_url(self) -> str:
        host = "[%s]" % self.listen_addr if ":" in self.listen_addr else self.listen_addr
        return "mqtts://%s:%d" % (host, self.tls_port)
