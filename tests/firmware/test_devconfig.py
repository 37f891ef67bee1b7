"""devconfig: a good config loads; every bad one raises ConfigError naming the key."""
import sys

for _p in ("firmware", "firmware/lib"):
    if _p not in sys.path:
        sys.path.append(_p)

from puckport import devconfig  # noqa: E402
from puckcore.errors import ConfigError  # noqa: E402

GOOD = {
    "device": "puck-a1",
    "board": "esp32s3-devkit",
    "wifi": {"ssid": "rooms", "password": "secret-secret"},
    "broker": "mqtt://192.168.1.20:1884",
    "settings": {"room": "Room 2", "brightness": 90},
}


def _with(**changes):
    d = dict(GOOD)
    for k in changes:
        if changes[k] is None:
            d.pop(k, None)
        else:
            d[k] = changes[k]
    return d


def _error(doc, needs_wifi=True):
    try:
        devconfig.DeviceConfig(doc, needs_wifi)
    except ConfigError as e:
        return str(e)
    raise AssertionError("no ConfigError for %r" % (doc,))


def test_good_config_loads():
    c = devconfig.DeviceConfig(GOOD)
    assert c.device == "puck-a1" and c.board == "esp32s3-devkit"
    assert c.host == "192.168.1.20" and c.port == 1884
    assert c.ssid == "rooms" and c.wifi_password == "secret-secret"
    assert c.settings["room"] == "Room 2"


def test_example_file_is_valid():
    c = devconfig.load("firmware/config.example.json")
    assert c.board == "esp32s3-devkit"


def test_default_port_and_open_network():
    c = devconfig.DeviceConfig(_with(broker="mqtt://broker.local", wifi={"ssid": "cafe", "password": ""}))
    assert c.port == 1883 and c.host == "broker.local" and c.wifi_password == ""


def test_bad_device_names_key():
    assert _error(_with(device="Puck A1")).startswith("device:")
    assert _error(_with(device=None)).startswith("device:")


def test_bad_wifi_names_key():
    assert _error(_with(wifi=None)).startswith("wifi:")
    assert _error(_with(wifi={"password": "secret-secret"})).startswith("wifi.ssid:")
    assert _error(_with(wifi={"ssid": "x", "password": "short"})).startswith("wifi.password:")


def test_wifi_optional_on_unix():
    c = devconfig.DeviceConfig(_with(wifi=None, board="unix"), needs_wifi=False)
    assert c.ssid is None


def test_bad_broker_names_key():
    for url in ("http://x:1883", "mqtt://:1883", "mqtt://x:port", "mqtt://x:70000", 1883):
        assert _error(_with(broker=url)).startswith("broker:"), url
    assert _error(_with(broker=None)).startswith("broker:")


def test_bad_settings_name_the_setting():
    assert _error(_with(settings={"brightness": 999})).startswith("settings.brightness:")
    assert _error(_with(settings={"colour": 1})).startswith("settings.colour:")
    assert _error(_with(settings=[1])).startswith("settings:")


def test_unknown_key_and_bad_json():
    assert _error(_with(wlan={})).startswith("wlan: unknown key")
    try:
        devconfig.loads("{not json")
        raise AssertionError("no error")
    except ConfigError as e:
        assert str(e).startswith("config:")


def test_missing_file_is_config_error():
    try:
        devconfig.load("no/such/config.json")
        raise AssertionError("no error")
    except ConfigError as e:
        assert "config:" in str(e)


def test_reserved_names_are_not_device_ids():
    # `all` takes group commands and `host` is the host's liveness: ingest would ignore such a puck
    for name in ("all", "host"):
        err = _error(_with(device=name))
        assert err.startswith("device:") and "all or host" in err, err


def test_usb_link_needs_no_wifi_and_no_broker():
    c = devconfig.DeviceConfig({"device": "puck-u1", "board": "esp32s3-devkit", "link": "usb"})
    assert c.link == "usb" and c.ssid is None and c.host is None
    assert devconfig.DeviceConfig(GOOD).link == "mqtt"  # the default
    c = devconfig.DeviceConfig({"device": "puck-u1", "board": "unix", "link": "usb", "tty": "/dev/pts/3"}, False)
    assert c.tty == "/dev/pts/3"
    # without link usb, a Wi-Fi board still needs both
    assert _error({"device": "puck-u1", "board": "esp32s3-devkit"}).startswith("wifi:")


def test_bad_link_and_tty_name_their_key():
    assert _error(_with(link="serial")).startswith("link:")
    assert _error(_with(link="usb", tty=5)).startswith("tty:")
    assert _error(_with(link="usb", tty="")).startswith("tty:")


def test_ota_key_is_optional_and_checked():
    assert devconfig.DeviceConfig(GOOD).ota_key is None
    assert devconfig.DeviceConfig(_with(ota_key="ab" * 32)).ota_key == "ab" * 32
    for bad in ("ab" * 31, "AB" * 32, "zz" * 32, 5):
        assert _error(_with(ota_key=bad)).startswith("ota_key:")
