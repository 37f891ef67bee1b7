"""bootsettings — the settings a puck boots with, merged in one place (app_main and the simulator).

    saved      the `puck` record's settings (what the host last set with cmd/config), if any
    first      config.json's `settings`: used only on the very first boot (no record yet); after
               that the host's cmd/config wins
    fixed      what the hardware or the run fixes every boot: the board's LED count, the
               simulator's command-line settings
"""
from puckcore.settings import Settings


def settings_for_boot(record, first=None, fixed=None):
    """Settings from the stored `puck` record (or None on a first boot), then `first`, then `fixed`."""
    settings = Settings.from_dict((record or {}).get("settings") or {})
    if record is None and first:
        settings.update(first)
    if fixed:
        settings.update(fixed)
    return settings
