"""The Pi's systemd unit and install script: a notify service with a watchdog, starting the command
the CLI really has, and an install script that is valid bash and installs that unit."""
import configparser
import os
import shlex
import subprocess

from puckcore.watchdog import Watchdog
from talkpuck.cli import build_parser

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PI = os.path.join(ROOT, "scripts", "pi")


def unit():
    c = configparser.ConfigParser(strict=False, interpolation=None)
    c.optionxform = str  # type: ignore[assignment,method-assign]
    c.read(os.path.join(PI, "talkpuck-puck.service"))
    return c


def test_unit_is_a_notify_service_with_a_watchdog():
    s = unit()["Service"]
    assert s["Type"] == "notify" and s["NotifyAccess"] == "main"
    assert s["Restart"] == "always"
    # the puck feeds about once a second (Watchdog.feed_ms): WatchdogSec leaves room for a slow second
    assert int(s["WatchdogSec"]) * 1000 >= 10 * Watchdog.feed_ms
    argv = shlex.split(s["ExecStart"])
    assert argv[0].endswith("/.venv/bin/talkpuck")
    args = build_parser().parse_args(argv[1:])
    assert (args.pi_cmd, args.config) == ("run", "/etc/talkpuck/puck.json")
    assert "/var/lib/talkpuck" in s["ReadWritePaths"]


def test_install_script_is_valid_and_installs_the_unit():
    path = os.path.join(PI, "install.sh")
    assert subprocess.run(["bash", "-n", path]).returncode == 0
    with open(path) as f:
        text = f.read()
    assert "scripts/pi/talkpuck-puck.service" in text
    assert "[pi]" in text and "talkpuck\" board check pi" in text
    assert os.access(path, os.X_OK)
