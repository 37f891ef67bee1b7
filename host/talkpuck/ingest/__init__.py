"""ingest — MQTT in: the one paho connection, the wall-clock mapping, and validate -> dedup -> store."""
from talkpuck.ingest.clock import ticks_diff, to_wall
from talkpuck.ingest.ingest import SUBSCRIPTIONS, Ingest
from talkpuck.mqtt.link import MqttLink, parse_broker_url

__all__ = ["Ingest", "MqttLink", "SUBSCRIPTIONS", "parse_broker_url", "ticks_diff", "to_wall"]
