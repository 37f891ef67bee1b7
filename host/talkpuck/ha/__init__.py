"""ha — Home Assistant MQTT discovery, published by the host on the pucks' behalf (discovery.py)."""
