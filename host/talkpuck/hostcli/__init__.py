"""hostcli — the host's command-line commands: serve, sessions/session, and puck commands."""
