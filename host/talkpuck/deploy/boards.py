"""boards — pin maps (deploy/boards/*.json) and chip facts (deploy/chips/*.json), checked before deploy.

Both folders are package data beside this module, so an installed talkpuck finds them too.

A board file is data the firmware reads at boot (deployed as /board.json); this module checks it on
the host first, so a wrong pin shows up on the desk, not as a silent ring. Errors stop a build or a
deploy; warnings (strapping pins, the REPL's USB/UART pins) are printed and allowed.

Checks, each naming the key it is about:
* the board names a known chip and has every pin role the firmware uses (ROLES, or the chip's
  `roles`: a Raspberry Pi's microphone is the OS's, so it maps only the ring and the button);
* a chip's `led_data_pins` list where its LED driver can drive a ring (a warning elsewhere);
* every pin exists on that chip, is not flash/PSRAM (chip `forbidden`) nor taken on this board
  (board `reserved`, e.g. the Pico W radio or octal PSRAM), and no pin is used twice;
* rp2 I2S runs on PIO and needs ws = sck + 1;
* mic, ring and button sections have sane values (I2S id, LED count 8..64, pull up/down/none).
"""
import json
import os
from typing import Any, TextIO

from talkpuck.errors import ConfigError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
HERE = os.path.dirname(os.path.abspath(__file__))  # boards/ and chips/ are package data beside this file
ROLES = ("mic_sck", "mic_ws", "mic_sd", "led_data", "button")  # pins the MCU HAL (firmware/hal_mcu.py) drives
PULLS = ("up", "down", "none")
ORDERS = ("RGB", "GRB", "BRG", "RBG", "GBR", "BGR")
DETECTORS = ("full", "light")  # the board's `detector` (app_main.py; puckcore/detect_light.py), default full


def board_names() -> list[str]:
    folder = os.path.join(HERE, "boards")
    return sorted(n[:-5] for n in os.listdir(folder) if n.endswith(".json"))


def _read_json(path: str, what: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except FileNotFoundError:
        raise ConfigError("%s: no such file %s" % (what, path))
    except ValueError as e:
        raise ConfigError("%s: %s is not valid JSON (%s)" % (what, path, e))
    if not isinstance(doc, dict):
        raise ConfigError("%s: %s must hold a JSON object" % (what, path))
    return doc


def board_path(name_or_path: str) -> str:
    if name_or_path.endswith(".json") or os.sep in name_or_path:
        return name_or_path
    return os.path.join(HERE, "boards", name_or_path + ".json")


def load_board(name_or_path: str) -> dict[str, Any]:
    """The board document by name (deploy/boards/NAME.json) or path. Raises ConfigError if unreadable."""
    path = board_path(name_or_path)
    if not os.path.exists(path):
        raise ConfigError("board: unknown board %r (known: %s)" % (name_or_path, ", ".join(board_names())))
    return _read_json(path, "board")


def load_chip(name: object) -> dict[str, Any]:
    path = os.path.join(HERE, "chips", "%s.json" % name)
    if not isinstance(name, str) or not os.path.exists(path):
        raise ConfigError("chip: unknown chip %r" % (name,))
    return _read_json(path, "chip")


def _int_keys(d: object, key: str, errors: list[str]) -> dict[int, str]:
    out: dict[int, str] = {}
    if not isinstance(d, dict):
        errors.append("%s: must be an object of pin number -> reason" % key)
        return out
    for k, v in d.items():
        try:
            out[int(k)] = v
        except ValueError:
            errors.append("%s.%s: not a pin number" % (key, k))
    return out


def check_board(board: dict[str, Any], chip: dict[str, Any] | None = None) -> tuple[list[str], list[str]]:
    """(errors, warnings) for a board document; `chip` defaults to the chip file the board names."""
    errors: list[str] = []
    warnings: list[str] = []
    name = board.get("name")
    if not isinstance(name, str) or not name:
        errors.append("name: must be a non-empty string")
    if chip is None:
        try:
            chip = load_chip(board.get("chip"))
        except ConfigError as e:
            return errors + [str(e)], warnings
    pins = board.get("pins")
    if not isinstance(pins, dict):
        return errors + ["pins: must be an object of role -> GPIO number"], warnings
    gpio = set(chip.get("gpio") or [])
    forbidden = _int_keys(chip.get("forbidden", {}), "chip.forbidden", errors)
    warn = _int_keys(chip.get("warn", {}), "chip.warn", errors)
    reserved = _int_keys(board.get("reserved", {}), "reserved", errors)
    roles = chip.get("roles") or ROLES
    if gpio:  # boards with pins: every role the HAL drives must be mapped
        for role in roles:
            if role not in pins:
                errors.append("pins.%s: missing (the firmware needs %s)" % (role, ", ".join(roles)))
    led_pins = chip.get("led_data_pins")
    if led_pins and type(pins.get("led_data")) is int and pins["led_data"] not in led_pins:
        warnings.append("pins.led_data: GPIO%d: %s" % (pins["led_data"], chip.get("led_data_note", "")))
    used: dict[int, str] = {}
    for role in sorted(pins):
        pin = pins[role]
        key = "pins.%s" % role
        if type(pin) is not int:
            errors.append("%s: must be a GPIO number, got %r" % (key, pin))
            continue
        if pin not in gpio:
            errors.append("%s: GPIO%d does not exist on %s" % (key, pin, chip.get("chip")))
            continue
        if pin in forbidden:
            errors.append("%s: GPIO%d is %s" % (key, pin, forbidden[pin]))
        if pin in reserved:
            errors.append("%s: GPIO%d is reserved on this board: %s" % (key, pin, reserved[pin]))
        if pin in used:
            errors.append("%s: GPIO%d is already used by pins.%s" % (key, pin, used[pin]))
        else:
            used[pin] = role
        if pin in warn:
            warnings.append("%s: GPIO%d is a %s" % (key, pin, warn[pin]))
    if chip.get("i2s_ws_follows_sck") and type(pins.get("mic_sck")) is int and type(pins.get("mic_ws")) is int:
        if pins["mic_ws"] != pins["mic_sck"] + 1:
            errors.append("pins.mic_ws: rp2 I2S (PIO) needs ws = sck + 1 = GPIO%d, got GPIO%d"
                          % (pins["mic_sck"] + 1, pins["mic_ws"]))
    _check_sections(board, chip, errors)
    return errors, warnings


def _check_sections(board: dict[str, Any], chip: dict[str, Any], errors: list[str]) -> None:
    mic = board.get("mic")
    if not isinstance(mic, dict):
        errors.append("mic: must be an object")
    elif chip.get("mic") == "os":  # the OS's microphone (ALSA / PortAudio): a device name or null
        if mic.get("device") is not None and not isinstance(mic.get("device"), (str, int)):
            errors.append("mic.device: must be an audio device name, index or null (the default input)")
    elif chip.get("gpio"):
        if mic.get("i2s_id") not in (chip.get("i2s_ids") or []):
            errors.append("mic.i2s_id: must be one of %s" % chip.get("i2s_ids"))
        if mic.get("slot_bits") not in (16, 32):
            errors.append("mic.slot_bits: must be 16 or 32")
        shift = mic.get("shift", 16)
        if type(shift) is not int or not 0 <= shift <= 16:
            errors.append("mic.shift: must be an integer 0..16 (bits dropped from the 32-bit slot)")
        ibuf = mic.get("ibuf_bytes", 0)
        if type(ibuf) is not int or not 2560 <= ibuf <= 65536:
            errors.append("mic.ibuf_bytes: must be 2560..65536 (at least two 20 ms frames)")
    ring = board.get("ring")
    if not isinstance(ring, dict):
        errors.append("ring: must be an object")
    else:
        leds = ring.get("leds")
        if type(leds) is not int or not 8 <= leds <= 64:
            errors.append("ring.leds: must be an integer 8..64")
        bright = ring.get("brightness", 1.0)
        if type(bright) not in (int, float) or not 0 < bright <= 1:
            errors.append("ring.brightness: must be a number in (0, 1] (the driver's cap, under the setting)")
        if ring.get("order", "GRB") not in ORDERS:
            errors.append("ring.order: must be one of %s" % ", ".join(ORDERS))
    chime = board.get("chime")  # optional: the OS's audio output (a Pi); an MCU's piezo is pins.chime
    if chime is not None and (not isinstance(chime, dict) or not isinstance(chime.get("device"), (str, int, type(None)))):
        errors.append("chime: must be an object with device (an audio output name, index or null)")
    if board.get("detector", "full") not in DETECTORS:
        errors.append("detector: must be one of %s (light: one voice, no remote cue)" % ", ".join(DETECTORS))
    button = board.get("button")
    if not isinstance(button, dict):
        errors.append("button: must be an object")
    else:
        if button.get("pull", "up") not in PULLS:
            errors.append("button.pull: must be one of %s" % ", ".join(PULLS))
        if button.get("active_low", True) not in (True, False):
            errors.append("button.active_low: must be true or false")


def require_valid(name_or_path: str, out: TextIO | None = None) -> dict[str, Any]:
    """Load and check a board; print warnings to `out`; raise ConfigError listing every error."""
    board = load_board(name_or_path)
    errors, warnings = check_board(board)
    for w in warnings:
        if out is not None:
            print("warning: %s: %s" % (board.get("name", name_or_path), w), file=out)
    if errors:
        raise ConfigError("board %s: %s" % (board.get("name", name_or_path), "; ".join(errors)))
    return board
