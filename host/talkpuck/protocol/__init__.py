"""protocol — the host's reading of docs/protocol.md: topic parsing, payload parsing, schema checks."""
from talkpuck.protocol.message import Message, parse_message
from talkpuck.protocol.schemas import check_command, validate
from talkpuck.protocol.topics import Topic, command_topic, parse_topic

__all__ = ["Message", "Topic", "parse_message", "parse_topic", "validate", "check_command", "command_topic"]
