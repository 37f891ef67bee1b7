"""units — systemd unit files for one office: a Mosquitto and the host as services (docs/deploy.md §2).

    render_units(data_dir, user, listen=None, ...) -> {file name: text}

rendered with this install's real paths (the `talkpuck` executable beside the running Python, the
`mosquitto` binary found on PATH, the absolute data dir), so `talkpuck deploy-units --out DIR` writes
files that can be copied to /etc/systemd/system as they are:

    talkpuck-mosquitto.service   Mosquitto with the config below; `systemctl reload` = SIGHUP (it
                                 re-reads the password file after `talkpuck device remove`)
    talkpuck-mosquitto.conf      its config: with `listen`, the TLS listener, logins and ACL that
                                 `serve --listen` uses (talkpuck.security); else localhost only
    talkpuck.service             `talkpuck serve`, which reads the broker URL (with the host's login)
                                 from TALKPUCK_BROKER in talkpuck.env (0600), never the command line
    talkpuck.env                 TALKPUCK_BROKER (and TALKPUCK_DB when given)
    talkpuck-worker@.service     with `workers`: one more ingest worker per instance (`@1`, `@2`...),
                                 beside `serve --shared-events` (issue 16, several workers)

The units run as `user` with the data dir the only place they may write (ProtectSystem=strict,
ReadWritePaths), no new privileges, a private /tmp, and restart on failure.
"""
import os
import shutil
import sys

from talkpuck.errors import ConfigError

MQTT_PORT = 1883
HTTP_PORT = 8765


def _exe(name: str) -> str:
    here = os.path.join(os.path.dirname(os.path.abspath(sys.executable)), name)
    if os.path.exists(here):
        return here
    found = shutil.which(name)
    if not found:
        raise ConfigError("deploy-units: %s not found beside %s or on PATH" % (name, sys.executable))
    return os.path.abspath(found)


def mosquitto_path() -> str:
    found = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if os.path.exists("/usr/sbin/mosquitto") else None)
    if not found:
        raise ConfigError("deploy-units: mosquitto not installed (apt-get install mosquitto)")
    return found


def mosquitto_conf(data_dir: str, listen: str | None = None, tls_port: int | None = None, mqtt_port: int = MQTT_PORT,
                   ha_prefix: str | None = None) -> tuple[str, str]:
    """(config text, host broker URL) for the office's Mosquitto."""
    from talkpuck.mqtt.broker import Broker

    bdir = os.path.join(data_dir, "broker")
    if listen:
        from talkpuck.security.credentials import TLS_PORT, security_dir
        from talkpuck.security.mosquitto_conf import SecureBroker

        secure = SecureBroker(security_dir(data_dir), listen, tls_port or TLS_PORT, ha_prefix)
        head = secure.listener_lines(mqtt_port)
        url = secure.host_url(mqtt_port)
    else:
        head = ("# localhost only: pucks on the network need --listen (talkpuck security init first)\n"
                "listener %d 127.0.0.1\nallow_anonymous true\n" % mqtt_port)
        url = "mqtt://127.0.0.1:%d" % mqtt_port
    text = ("# written by `talkpuck deploy-units` (talkpuck/service/units.py)\n" + head +
            "persistence true\n"
            "persistence_location %s/\n"
            "autosave_interval 1\n"
            "max_queued_messages %d\n"
            "max_queued_bytes %d\n"
            "max_inflight_messages %d\n"
            "max_connections -1\n"
            "log_dest stderr\n"
            "log_type error\n"
            "log_type warning\n"
            % (bdir, Broker.max_queued_messages, Broker.max_queued_bytes, Broker.max_inflight_messages))
    return text, url


def _talkpuck_service(user: str, data_dir: str, env_path: str, exec_start: str) -> str:
    """The [Service] and [Install] sections of the host's and the workers' units (they differ only in ExecStart)."""
    return ("[Service]\n"
            "Type=simple\n"
            "User=%s\n"
            "WorkingDirectory=%s\n"
            "EnvironmentFile=%s\n"
            "ExecStart=%s\n"
            "Restart=on-failure\n"
            "RestartSec=2\n"
            "%s\n"
            "[Install]\n"
            "WantedBy=multi-user.target\n" % (user, data_dir, env_path, exec_start, _hardening(data_dir)))


def _hardening(data_dir: str) -> str:
    return ("NoNewPrivileges=yes\n"
            "PrivateTmp=yes\n"
            "ProtectSystem=strict\n"
            "ReadWritePaths=%s\n"
            "LimitNOFILE=65536\n" % data_dir)


def render_units(data_dir: str, user: str, out_dir: str, listen: str | None = None, tls_port: int | None = None,
                 mqtt_port: int = MQTT_PORT, http_port: int = HTTP_PORT, db_url: str | None = None,
                 workers: int = 0, ha_discovery: bool = False) -> dict[str, str]:
    """{file name: text}. `out_dir` is where the files will be read from (the units name the config
    and env file by that absolute path)."""
    data_dir = os.path.abspath(data_dir)
    out_dir = os.path.abspath(out_dir)
    if not user or any(c.isspace() for c in user):
        raise ConfigError("deploy-units: --user must be a user name, got %r" % (user,))
    if not 0 <= int(workers) <= 64:
        raise ConfigError("deploy-units: --workers must be 0..64, got %r" % (workers,))
    talkpuck = _exe("talkpuck")
    conf_text, broker_url = mosquitto_conf(data_dir, listen, tls_port, mqtt_port)
    if user == "root":     # started as root, Mosquitto would switch to user "mosquitto", who cannot write data_dir
        conf_text += "user root\n"
    conf_path = os.path.join(out_dir, "talkpuck-mosquitto.conf")
    env_path = os.path.join(out_dir, "talkpuck.env")
    env = "TALKPUCK_BROKER=%s\n" % broker_url
    if db_url:
        env += "TALKPUCK_DB=%s\n" % db_url
    # `serve` reads TALKPUCK_BROKER / TALKPUCK_DB from the environment: the passwords stay off its command line
    serve = "%s serve --data-dir %s --http-port %d" % (talkpuck, data_dir, http_port)
    if workers:
        serve += " --shared-events"
    if ha_discovery:
        serve += " --ha-discovery"
    units = {
        "talkpuck-mosquitto.conf": conf_text,
        "talkpuck.env": env,
        "talkpuck-mosquitto.service": (
            "[Unit]\n"
            "Description=talkpuck MQTT broker (Mosquitto)\n"
            "After=network-online.target\n"
            "Wants=network-online.target\n\n"
            "[Service]\n"
            "Type=simple\n"
            "User=%s\n"
            "ExecStart=%s -c %s\n"
            "ExecReload=/bin/kill -HUP $MAINPID\n"
            "Restart=on-failure\n"
            "RestartSec=2\n"
            "%s\n"
            "[Install]\n"
            "WantedBy=multi-user.target\n" % (user, mosquitto_path(), conf_path, _hardening(data_dir))),
        "talkpuck.service": (
            "[Unit]\n"
            "Description=talkpuck host (ingest, store, live view)\n"
            "After=talkpuck-mosquitto.service network-online.target\n"
            "Requires=talkpuck-mosquitto.service\n\n"
            + _talkpuck_service(user, data_dir, env_path, serve)),
    }
    if workers:
        worker = "%s ingest-worker --worker %%i --broker ${TALKPUCK_BROKER} --data-dir %s" % (talkpuck, data_dir)
        if db_url:
            worker += " --db ${TALKPUCK_DB}"
        units["talkpuck-worker@.service"] = (
            "[Unit]\n"
            "Description=talkpuck ingest worker %%i\n"
            "After=talkpuck-mosquitto.service\n"
            "PartOf=talkpuck.service\n\n"
            + _talkpuck_service(user, data_dir, env_path, worker))
    return units


SECRET = ("talkpuck.env", "talkpuck-mosquitto.conf")


def write_units(units: dict[str, str], out_dir: str) -> list[str]:
    """Writes the files; the env file (the host's MQTT password) is 0600. Returns the paths."""
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for name in sorted(units):
        path = os.path.join(out_dir, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if name in SECRET else 0o644)
        with os.fdopen(fd, "w") as f:
            f.write(units[name])
        paths.append(path)
    return paths
