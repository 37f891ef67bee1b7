"""Reserved names (`all`, `host`) are never a puck's id on the host: topics, commands, the API rule."""
import pytest

from puckcore.protocol import RESERVED
from talkpuck.errors import ProtocolError
from talkpuck.protocol import command_topic, parse_message, parse_topic
from talkpuck.protocol.topics import check_device_id


def test_reserved_names_only_where_the_protocol_uses_them():
    assert parse_topic("talkpuck/v1/all/cmd/identify").device == "all"
    assert parse_message("talkpuck/v1/host/status", b"online").payload == "online"
    assert command_topic("all", "identify") == "talkpuck/v1/all/cmd/identify"
    for topic in ("talkpuck/v1/host/info", "talkpuck/v1/host/evt/turn", "talkpuck/v1/all/state",
                  "talkpuck/v1/host/cmd/identify", "talkpuck/v1/all/status"):
        with pytest.raises(ProtocolError) as info:
            parse_topic(topic)
        assert info.value.reason == "bad_device_id" and "reserved" in str(info.value), topic


@pytest.mark.parametrize("name", RESERVED)
def test_a_reserved_name_is_not_a_device_id(name):
    with pytest.raises(ProtocolError) as info:
        check_device_id(name)
    assert "not all or host" in str(info.value)
    if name != "all":  # `all` is the group address of a command
        with pytest.raises(ProtocolError):
            command_topic(name, "identify")
