"""deploy — `talkpuck deploy`: copy a build and a checked config.json to a puck over USB with mpremote.

Thin on purpose: one mpremote invocation, shown with --dry-run, so what happens to the puck is
visible and repeatable by hand:

    mpremote connect PORT fs cp -r <entries of build/BOARD/> : + fs cp CONFIG :config.json + reset

run from inside build/BOARD/ so the tree lands at the filesystem root (/puckcore/..., /lib/..., /board.json).
The board is checked (pins) and the config is checked (puckport.devconfig, the same code the
puck runs) before anything is copied; a config whose `board` differs from --board is refused.
"""
import os
import shutil
import subprocess
import sys
from typing import Any, TextIO

from puckport import devconfig
from talkpuck.deploy.boards import load_chip, require_valid
from talkpuck.errors import ConfigError


def check_config(path: str, board: dict[str, Any]) -> devconfig.DeviceConfig:
    """Check a config file for a board with the firmware's own checker; returns the DeviceConfig."""
    chip = load_chip(board["chip"])
    cfg = devconfig.load(path, needs_wifi=chip["port"] != "unix")
    if cfg.board != board["name"]:
        raise ConfigError("board: config %s is for %r, deploying %r" % (path, cfg.board, board["name"]))
    return cfg


def mpremote() -> str:
    here = os.path.join(os.path.dirname(sys.executable), "mpremote")
    return here if os.path.exists(here) else (shutil.which("mpremote") or "mpremote")


def deploy_command(build_dir: str, port: str, config_path: str | None = None, reset: bool = True) -> list[str]:
    """The mpremote argv that copies build_dir (and config) to the device; run with cwd=build_dir."""
    entries = sorted(os.listdir(build_dir))
    if not entries:
        raise ConfigError("build: %s is empty; run talkpuck build first" % build_dir)
    cmd = [mpremote(), "connect", port, "fs", "cp", "-r"] + entries + [":"]
    if config_path:
        cmd += ["+", "fs", "cp", os.path.abspath(config_path), ":config.json"]
    if reset:
        cmd += ["+", "reset"]
    return cmd


def deploy(board_name: str, port: str, config_path: str | None = None, build_root: str | None = None,
           dry_run: bool = False, out: TextIO | None = None) -> int:
    from talkpuck.deploy.build import build

    board = require_valid(board_name, out=sys.stderr)
    if config_path:
        check_config(config_path, board)
    build_dir = build(board["name"], build_root)
    cmd = deploy_command(build_dir, port, config_path)
    print("(cd %s && %s)" % (build_dir, " ".join(cmd)), file=out or sys.stdout)
    if dry_run:
        return 0
    return subprocess.call(cmd, cwd=build_dir)
