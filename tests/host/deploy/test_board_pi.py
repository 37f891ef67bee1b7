"""The Raspberry Pi board file (hardware/boards/pi.json, chip bcm-gpio): valid as shipped; the ring
pin, the roles, the brightness and the OS microphone are checked, each error naming its key."""
import copy

from talkpuck.cli import main
from talkpuck.deploy.boards import check_board, load_board


def _pi():
    return copy.deepcopy(load_board("pi"))


def test_pi_board_is_valid(capsys):
    assert check_board(_pi()) == ([], [])
    assert main(["board", "check", "pi"]) == 0
    assert "pi: ok" in capsys.readouterr().out


def test_ring_pin_the_pi_1_4_driver_cannot_drive_is_warned():
    b = _pi()
    b["pins"]["led_data"] = 23
    errors, warnings = check_board(b)
    assert errors == []
    assert warnings == [("pins.led_data: GPIO23: rpi_ws281x (Pi 1-4) drives a WS2812 only from GPIO10 (SPI), "
                         "12/18 (PWM0) or 21 (PCM); the Pi 5 driver (RP1 PIO) takes any pin")]


def test_pi_needs_ring_and_button_only():
    b = _pi()
    del b["pins"]["button"]
    assert check_board(b)[0] == ["pins.button: missing (the firmware needs led_data, button)"]
    b = _pi()
    b["pins"]["chime"] = 18
    assert check_board(b)[0] == ["pins.led_data: GPIO18 is already used by pins.chime"]
    b = _pi()
    b["pins"]["button"] = 28
    assert check_board(b)[0] == ["pins.button: GPIO28 does not exist on bcm-gpio"]


def test_pi_sections():
    b = _pi()
    b["ring"]["brightness"] = 1.5
    b["mic"]["device"] = ["hw:1"]
    assert check_board(b)[0] == [
        "mic.device: must be an audio device name, index or null (the default input)",
        "ring.brightness: must be a number in (0, 1] (the driver's cap, under the setting)",
    ]
    b = _pi()
    b["mic"]["device"] = "hw:1,0"
    assert check_board(b)[0] == []


def test_chime_section():
    b = _pi()
    b["chime"] = {"device": ["x"]}
    assert check_board(b)[0] == ["chime: must be an object with device (an audio output name, index or null)"]


def test_pi_run_refuses_a_config_for_another_board(tmp_path, capsys):
    cfg = tmp_path / "c.json"
    cfg.write_text('{"device": "puck-p2", "board": "unix", "broker": "mqtt://127.0.0.1:1", "storage": "%s"}' % tmp_path)
    assert main(["pi", "run", "--config", str(cfg)]) == 2
    assert "not a Raspberry Pi board" in capsys.readouterr().err
    cfg.write_text('{"device": "puck-p2", "board": "pi", "broker": "mqtt://127.0.0.1:1", '
                   '"wifi": {"ssid": "x", "password": ""}}')
    assert main(["pi", "run", "--config", str(cfg)]) == 2
    assert "wifi: a Raspberry Pi puck uses the OS's network" in capsys.readouterr().err
