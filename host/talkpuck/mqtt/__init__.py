"""mqtt — the host's MQTT side: the broker it uses or runs (broker.py) and every client link (link.py, the only paho user)."""
