"""bootsettings: saved settings win; config.json's only on the first boot; fixed ones always."""
import sys

for _p in ("firmware", "firmware/lib"):
    if _p not in sys.path:
        sys.path.append(_p)

from puckport.bootsettings import settings_for_boot  # noqa: E402


def test_first_boot_takes_the_config_settings_and_the_board():
    s = settings_for_boot(None, {"room": "Room 2", "brightness": 90}, {"leds": 16})
    assert (s.room, s.brightness, s.leds) == ("Room 2", 90, 16)


def test_later_boots_keep_the_saved_settings_and_the_board_still_wins():
    record = {"settings": {"room": "Lab", "leds": 24}}
    s = settings_for_boot(record, {"room": "Room 2"}, {"leds": 12})
    assert (s.room, s.leds) == ("Lab", 12)


def test_nothing_given_is_the_defaults():
    a = settings_for_boot(None)
    b = settings_for_boot({"settings": {}})
    assert a.room == b.room and a.leds == b.leds
