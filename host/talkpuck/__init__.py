"""talkpuck — the host: MQTT ingest, store, analytics, web dashboard, simulator and tools."""
__version__ = "0.1.0"
