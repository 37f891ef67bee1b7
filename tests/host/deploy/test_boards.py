"""Pin-map checker: the shipped boards pass; each kind of bad map is an error naming the key."""
import copy

import pytest

from talkpuck.cli import main
from talkpuck.deploy.boards import board_names, check_board, load_board, load_chip, require_valid
from talkpuck.errors import ConfigError


def _errors(board):
    return check_board(board)[0]


@pytest.mark.parametrize("name", ["esp32s3-devkit", "pico-w", "unix"])
def test_shipped_boards_are_valid(name):
    errors, warnings = check_board(load_board(name))
    assert errors == []
    assert warnings == []


def test_board_list_names_the_files():
    assert {"esp32s3-devkit", "pico-w", "unix"} <= set(board_names())


def _esp():
    return copy.deepcopy(load_board("esp32s3-devkit"))


def _pico():
    return copy.deepcopy(load_board("pico-w"))


def test_pin_that_does_not_exist():
    b = _esp()
    b["pins"]["button"] = 23  # GPIO 22-25 do not exist on the ESP32-S3
    assert _errors(b) == ["pins.button: GPIO23 does not exist on esp32s3"]


def test_pin_used_twice():
    b = _esp()
    b["pins"]["led_data"] = b["pins"]["mic_sd"]
    errs = _errors(b)
    assert len(errs) == 1 and "GPIO6 is already used by pins." in errs[0]


def test_flash_pin_is_an_error():
    b = _esp()
    b["pins"]["button"] = 30
    assert _errors(b) == ["pins.button: GPIO30 is SPI flash (SPICLK)"]


def test_board_reserved_pin_is_an_error():
    b = _esp()
    b["pins"]["led_data"] = 35
    assert _errors(b) == ["pins.led_data: GPIO35 is reserved on this board: octal PSRAM on N16R8/N8R8 modules"]
    p = _pico()
    p["pins"]["led_data"] = 25
    assert "reserved on this board: CYW43" in _errors(p)[0]


def test_strapping_and_usb_pins_warn_only():
    b = _esp()
    b["pins"]["button"] = 0
    b["pins"]["led_data"] = 19
    errors, warnings = check_board(b)
    assert errors == []
    assert warnings[0].startswith("pins.button: GPIO0 is a strapping pin")
    assert warnings[1].startswith("pins.led_data: GPIO19 is a native USB D-")


def test_rp2_i2s_needs_ws_after_sck():
    p = _pico()
    p["pins"]["mic_ws"] = 19
    p["pins"]["mic_sd"] = 17
    assert _errors(p) == ["pins.mic_ws: rp2 I2S (PIO) needs ws = sck + 1 = GPIO17, got GPIO19"]


def test_missing_role_wrong_type_and_sections():
    b = _esp()
    del b["pins"]["button"]
    b["pins"]["mic_sd"] = "6"
    b["ring"]["leds"] = 200
    b["mic"]["i2s_id"] = 3
    b["button"]["pull"] = "sideways"
    errs = _errors(b)
    assert any(e.startswith("pins.button: missing") for e in errs)
    assert any(e.startswith("pins.mic_sd: must be a GPIO number") for e in errs)
    assert "ring.leds: must be an integer 8..64" in errs
    assert any(e.startswith("mic.i2s_id:") for e in errs)
    assert any(e.startswith("button.pull:") for e in errs)


def test_unknown_chip_and_board():
    b = _esp()
    b["chip"] = "esp8266"
    assert _errors(b) == ["chip: unknown chip 'esp8266'"]
    with pytest.raises(ConfigError, match="unknown board 'nope'"):
        load_board("nope")


def test_require_valid_lists_every_error(tmp_path):
    import json

    b = _esp()
    b["pins"]["button"] = 99
    b["pins"]["led_data"] = 4
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(b))
    with pytest.raises(ConfigError) as e:
        require_valid(str(path))
    assert "pins.button: GPIO99 does not exist" in str(e.value)
    assert "pins.mic_sck: GPIO4 is already used by pins.led_data" in str(e.value)


def test_chip_files_match_their_arch():
    assert load_chip("esp32s3")["mpy_arch"] == "xtensawin"
    assert load_chip("rp2040")["mpy_arch"] == "armv6m"


def test_cli_board_check(tmp_path, capsys):
    import json

    assert main(["board", "check"]) == 0
    out = capsys.readouterr().out
    assert "esp32s3-devkit: ok" in out and "pico-w: ok" in out
    b = _pico()
    b["pins"]["button"] = 15  # same as led_data
    path = tmp_path / "bad-pico.json"
    path.write_text(json.dumps(b))
    assert main(["board", "check", str(path)]) == 1
    assert "error: pins.led_data: GPIO15 is already used by pins.button" in capsys.readouterr().out


def test_detector_configuration_is_checked():
    assert load_board("pico-w")["detector"] == "light"     # the Pico W runs the light detector
    assert "detector" not in load_board("esp32s3-devkit")  # the full one by default
    p = _pico()
    p["detector"] = "tiny"
    assert _errors(p) == ["detector: must be one of full, light (light: one voice, no remote cue)"]
