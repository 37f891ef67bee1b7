"""brokerurl: the one broker URL parser keeps a user and password; the puck's config refuses them."""
import sys

for _p in ("firmware", "firmware/lib"):
    if _p not in sys.path:
        sys.path.append(_p)

from puckcore.errors import ConfigError  # noqa: E402
from puckport import brokerurl, devconfig  # noqa: E402


def _raises(url):
    try:
        brokerurl.parse(url)
    except ConfigError as e:
        return str(e)
    return None


def test_host_port_and_defaults():
    assert brokerurl.parse("mqtt://broker.local") == ("broker.local", 1883, None, None)
    assert brokerurl.parse("mqtt://10.0.0.2:1884/") == ("10.0.0.2", 1884, None, None)
    assert brokerurl.parse("tcp://h:1") == ("h", 1, None, None)
    assert brokerurl.parse("mqtt://[::1]:1999") == ("::1", 1999, None, None)


def test_user_and_password_are_kept():
    assert brokerurl.parse("mqtt://ops:s3cret@broker:1883") == ("broker", 1883, "ops", "s3cret")
    assert brokerurl.parse("mqtt://ops@broker") == ("broker", 1883, "ops", None)
    assert brokerurl.parse("mqtt://ops:pa:ss@broker") == ("broker", 1883, "ops", "pa:ss")


def test_bad_urls_name_broker():
    for url in ("http://x:1", "mqtt://", "mqtt://h:notaport", "mqtt://h:0", "mqtt://h:70000", "mqtt://:1883",
                "mqtt://@h", "mqtt://[::1", "mqtt://a/b", 1883, None):
        err = _raises(url)
        assert err is not None and err.startswith("broker:"), url


def test_the_puck_refuses_a_user_in_the_url():
    try:
        devconfig.parse_broker("mqtt://ops:pw@broker:1883")
    except ConfigError as e:
        assert str(e).startswith("broker:")
    else:
        assert False, "a user in the puck's broker URL must be refused"
    assert devconfig.parse_broker("mqtt://broker:1884") == ("broker", 1884)


def test_mqtts_defaults_to_8883_and_is_tls():
    assert brokerurl.parse("mqtts://broker.local") == ("broker.local", 8883, None, None)
    assert brokerurl.parse("mqtts://h:1884/") == ("h", 1884, None, None)
    assert brokerurl.parse("ssl://u:p@h") == ("h", 8883, "u", "p")
    assert brokerurl.is_tls("mqtts://h") and brokerurl.is_tls("ssl://h")
    assert not brokerurl.is_tls("mqtt://h") and not brokerurl.is_tls(None)
    assert "mqtts" in _raises("https://h")


def test_redact_hides_the_password_only():
    assert brokerurl.redact("mqtt://host:s3cret@127.0.0.1:1883") == "mqtt://host:***@127.0.0.1:1883"
    assert brokerurl.redact("mqtts://ops@h") == "mqtts://ops@h"
    assert brokerurl.redact("mqtt://h:1883") == "mqtt://h:1883"
