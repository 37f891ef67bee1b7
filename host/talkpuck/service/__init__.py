"""service — the running host: HostApp wires store, MQTT link, ingest, commands, hand queue and web
server; Settings checks its addresses."""
from talkpuck.service.hostapp import HostApp
from talkpuck.service.settings import Settings

__all__ = ["HostApp", "Settings"]
