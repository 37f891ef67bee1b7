"""security — the installation's CA and certificates, per-device MQTT credentials, the Mosquitto config."""
