"""devconfig: an mqtts:// broker needs the CA file and the puck's password; both are checked like the rest."""
from fakes.devdocs import changed, config_error, devconfig

GOOD = {"device": "puck-a1", "board": "unix", "broker": "mqtts://10.0.0.5", "mqtt_password": "pw-pw-pw",
        "ca": "ca.crt"}


def _error(**changes):
    return config_error(changed(GOOD, changes), False)


def test_tls_config_loads_with_the_default_port():
    c = devconfig.DeviceConfig(GOOD, False)
    assert c.tls is True and c.port == 8883 and c.ca == "ca.crt" and c.mqtt_password == "pw-pw-pw"
    plain = devconfig.DeviceConfig({"device": "puck-a1", "board": "unix", "broker": "mqtt://127.0.0.1"}, False)
    assert plain.tls is False and plain.ca is None


def test_tls_without_ca_or_password_is_refused():
    assert _error(ca=None).startswith("ca:")
    assert _error(mqtt_password=None).startswith("mqtt_password:")
    assert _error(mqtt_password="").startswith("mqtt_password:")
    assert _error(ca=5).startswith("ca:")
    assert _error(ca="").startswith("ca:")
    assert _error(mqtt_password="x" * 129).startswith("mqtt_password:")
    assert _error(broker="mqtt://10.0.0.5").startswith("ca:")  # a CA without TLS: a mistake
    assert _error(broker="mqtts://puck-a1:pw@10.0.0.5").startswith("broker:")
