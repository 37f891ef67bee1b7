"""settings — the host's settings, checked once: broker URL (and its CA), database URL, data dir, HTTP
address, for a network-facing host the address the broker's TLS listener serves (`listen`) on
its fixed port (`mqtt_tls_port`, 8883), Home Assistant discovery (`ha_discovery`, `ha_prefix`,
`ha_talking`: talkpuck.ha), and the retention period (`retention_days`: sessions and rows
older than this are deleted, docs/privacy.md §6)."""
import hashlib
import os
from typing import Any

from puckport.brokerurl import TLS_PORT
from talkpuck.analytics.metrics import Thresholds
from talkpuck.errors import ConfigError
from talkpuck.store.engine import default_url


RETENTION_DAYS_DEFAULT = 90       # keep sessions this long unless the installation says otherwise
RETENTION_DAYS_MAX = 3650


def check_retention_days(value: Any) -> int:
    """retention_days: a whole number of days, 1..3650; ConfigError naming the key otherwise."""
    try:
        days = int(value)
        if days != float(value):
            raise ValueError
    except (TypeError, ValueError):
        raise ConfigError("retention_days must be a whole number of days, got %r" % (value,))
    if not 1 <= days <= RETENTION_DAYS_MAX:
        raise ConfigError("retention_days must be between 1 and %d days, got %r" % (RETENTION_DAYS_MAX, value))
    return days


class Settings:
    def __init__(self, broker_url: str, db_url: str | None = None, data_dir: str = "var",
                 http_host: str = "127.0.0.1", http_port: int | str = 0, client_id: str | None = None,
                 listen: str | None = None, mqtt_tls_port: int | str = TLS_PORT, broker_ca: str | None = None,
                 web_tls: tuple[str, str] | None = None, retention_days: int | str = RETENTION_DAYS_DEFAULT,
                 review_thresholds: Thresholds | None = None, ha_discovery: bool = False,
                 ha_prefix: str | None = None, ha_talking: bool = False) -> None:
        self.broker_url = broker_url
        self.broker_ca = broker_ca  # PEM file the link checks an mqtts:// broker against (None: system CAs)
        self.listen = listen or None  # None: localhost only; else the broker's TLS listener address
        try:
            self.mqtt_tls_port = int(mqtt_tls_port)
        except (TypeError, ValueError):
            raise ConfigError("mqtt_tls_port must be a number, got %r" % (mqtt_tls_port,))
        if not 0 < self.mqtt_tls_port <= 65535:
            raise ConfigError("mqtt_tls_port out of range: %r" % (mqtt_tls_port,))
        self.data_dir = os.path.abspath(data_dir)
        self.db_url = db_url or default_url(self.data_dir)
        # the review pages' thresholds (monologue_s, cut_in_gap_ms, silence_s, ...: docs/metrics.md)
        self.review_thresholds = (review_thresholds or Thresholds()).check()
        self.web_tls = web_tls        # (certfile, keyfile): HTTPS (talkpuck.auth.tls)
        if http_host not in ("127.0.0.1", "localhost", "::1") and not web_tls:
            # logins exist (talkpuck.auth), but their cookies never cross a network in clear
            raise ConfigError("http_host %r beyond loopback needs HTTPS: a web certificate (talkpuck security init)" % http_host)
        self.http_host = http_host
        try:
            self.http_port = int(http_port)
        except (TypeError, ValueError):
            raise ConfigError("http_port must be a number, got %r" % (http_port,))
        if not 0 <= self.http_port <= 65535:
            raise ConfigError("http_port out of range: %r" % http_port)
        self.retention_days = check_retention_days(retention_days)
        # Home Assistant MQTT discovery (talkpuck.ha): off unless asked; `talking` separately (docs/privacy.md)
        from talkpuck.ha.discovery import PREFIX_DEFAULT, check_prefix
        self.ha_discovery = bool(ha_discovery)
        self.ha_prefix = check_prefix(ha_prefix or PREFIX_DEFAULT)
        self.ha_talking = bool(ha_talking)
        if self.ha_talking and not self.ha_discovery:
            raise ConfigError("ha_talking needs ha_discovery: the talking sensor is part of Home Assistant discovery")
        # Fixed per store: the broker keeps this client's session (and queued QoS 1 events) while
        # the host is down, and two hosts feeding different stores never steal each other's session.
        self.client_id = client_id or host_client_id(self.db_url)


def host_client_id(db_url: str, worker: int = 0) -> str:
    """The MQTT client id of the host (worker 0, `talkpuck serve`) or of ingest worker N of this store:
    fixed per (store, worker), so a restarted worker gets its persistent session back, and two workers
    never kick each other off."""
    base = "talkpuck-host-" + hashlib.sha1(db_url.encode()).hexdigest()[:8]
    return base if not worker else "%s-w%d" % (base, worker)
