"""config — the web's security settings: allowed Host names, HTTPS, session lifetime, body and login limits."""
from collections.abc import Iterable


class AuthConfig:
    session_ttl_s = 12 * 3600          # a working day; then log in again
    login_link_ttl_s = 15 * 60         # a one-time link is usable for this long, once
    max_body_bytes = 64 * 1024         # bigger request bodies get 413 while being read
    login_failures_per_account = 5     # failed logins per account per window before 429
    login_failures_per_address = 20    # failed logins per client address per window before 429
    login_window_s = 15 * 60

    def __init__(self, allowed_hosts: Iterable[str] | None = None, https: bool = False,
                 listen_host: str | None = "127.0.0.1") -> None:
        hosts = {"127.0.0.1", "localhost", "::1", "[::1]"}
        if listen_host and listen_host not in ("0.0.0.0", "::"):
            hosts.add(listen_host)
            if ":" in listen_host:
                hosts.add("[%s]" % listen_host)
        hosts.update(h.lower() for h in (allowed_hosts or ()))
        self.allowed_hosts = frozenset(hosts)
        self.https = bool(https)

    @property
    def cookie_name(self) -> str:
        # the __Host- prefix makes the browser refuse it unless Secure, host-only and Path=/
        return "__Host-talkpuck" if self.https else "talkpuck_session"
