"""Settings: defaults, the one check at load, all-or-nothing update, the dict round trip."""
from puckcore.errors import ConfigError
from puckcore.settings import KEYS, Settings


def _raises(fn, text):
    try:
        fn()
    except ConfigError as e:
        assert text in str(e), str(e)
        return
    assert False, "no ConfigError"


def test_defaults():
    s = Settings()
    assert s.warn_s == 300
    assert s.brightness == 160 and s.gamma is True and s.night is False
    assert s.leds == 24 and s.max_hands >= 1
    assert 0 < s.wrapup_s < s.warn_s
    assert s.default_session_s >= 60
    assert s.room == ""


def test_round_trip():
    s = Settings({"brightness": 96, "room": "Family room", "night": True})
    d = s.to_dict()
    assert sorted(d) == sorted(KEYS)
    t = Settings.from_dict(d)
    assert t.to_dict() == d
    assert t.brightness == 96 and t.room == "Family room" and t.night is True


def test_bad_values_name_the_key():
    _raises(lambda: Settings({"brightness": 300}), "brightness: must be 0..255")
    _raises(lambda: Settings({"brightness": -1}), "brightness")
    _raises(lambda: Settings({"warn_s": "300"}), "warn_s: must be an integer")
    _raises(lambda: Settings({"warn_s": True}), "warn_s: must be an integer")
    _raises(lambda: Settings({"night": 1}), "night: must be true or false")
    _raises(lambda: Settings({"room": 5}), "room: must be a string")
    _raises(lambda: Settings({"room": "x" * 65}), "room")
    _raises(lambda: Settings({"leds": 4}), "leds: must be 8..64")
    _raises(lambda: Settings({"colour": 1}), "colour: unknown setting")
    _raises(lambda: Settings.from_dict([1]), "settings")


def test_update_is_all_or_nothing():
    s = Settings()
    _raises(lambda: s.update({"brightness": 10, "warn_s": -5}), "warn_s")
    assert s.brightness == 160  # nothing applied
    changed = s.update({"brightness": 10, "warn_s": 300})
    assert changed == ["brightness"]
    assert s.brightness == 10


def test_from_dict_ignores_unknown_keys():
    s = Settings.from_dict({"brightness": 20, "from_the_future": 1})
    assert s.brightness == 20
