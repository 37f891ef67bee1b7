"""brokerurl — the one broker URL parser, used by the puck's config check and by every host client.

    mqtt://[user[:password]@]host[:port][/]      (tcp:// is the same; [v6 address] in brackets)
    mqtts://[user[:password]@]host[:port][/]     MQTT over TLS (ssl:// is the same)

parse() -> (host, port, user, password); user and password are None when the URL has none, the
port is 1883 (8883 for mqtts) when it names none; is_tls(url) says whether it is a TLS URL.
Anything else raises ConfigError naming `broker`. A user and
password are kept, never dropped: the host logs in with them; a puck refuses them (devconfig: it
logs in as its device id with `mqtt_password`).
"""
from puckcore.errors import ConfigError

DEFAULT_PORT = 1883
TLS_PORT = 8883
SCHEMES = ("mqtt://", "tcp://")
TLS_SCHEMES = ("mqtts://", "ssl://")


def is_tls(url):
    return type(url) is str and (url.startswith(TLS_SCHEMES[0]) or url.startswith(TLS_SCHEMES[1]))  # noqa: PIE810 (MicroPython: no tuple)


def redact(url):
    """The URL with its password replaced by ***: for logs and printouts."""
    if type(url) is not str or "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    userinfo, tail = rest.rsplit("@", 1)
    if ":" in userinfo:
        userinfo = userinfo.split(":", 1)[0] + ":***"
    return "%s://%s@%s" % (scheme, userinfo, tail)


def parse(url):
    if type(url) is not str:
        raise ConfigError("broker: expected mqtt://host:port, got %r" % (url,))
    rest = None
    default = DEFAULT_PORT
    for scheme in SCHEMES + TLS_SCHEMES:
        if url.startswith(scheme):
            rest = url[len(scheme):]
            if scheme in TLS_SCHEMES:
                default = TLS_PORT
    if rest is None:
        raise ConfigError("broker: expected mqtt://host:port or mqtts://host:port, got %r" % (url,))
    if rest.endswith("/"):
        rest = rest[:-1]
    user = password = None
    if "@" in rest:
        userinfo, rest = rest.rsplit("@", 1)
        if ":" in userinfo:
            user, password = userinfo.split(":", 1)
        else:
            user = userinfo
        if not user:
            raise ConfigError("broker: empty user in %r" % (url,))
    port_text = None
    if rest.startswith("["):  # [v6 address]
        end = rest.find("]")
        if end < 0:
            raise ConfigError("broker: bad host in %r" % (url,))
        host, after = rest[1:end], rest[end + 1:]
        if after:
            if not after.startswith(":"):
                raise ConfigError("broker: bad host in %r" % (url,))
            port_text = after[1:]
    elif ":" in rest:
        host, port_text = rest.rsplit(":", 1)
    else:
        host = rest
    port = default
    if port_text is not None:
        try:
            port = int(port_text)
        except ValueError:
            raise ConfigError("broker: bad port %r" % port_text)
        if not 0 < port < 65536:
            raise ConfigError("broker: port must be 1..65535")
    if not host or "/" in host or "@" in host:
        raise ConfigError("broker: bad host in %r" % (url,))
    return host, port, user, password
