"""puckport — the firmware's portable layer around the pure core: the same code on every port.

    devconfig   config.json checked once at boot (ConfigError naming the key)
    brokerurl   the one broker URL parser (mqtt://[user[:password]@]host[:port]); the host's too
    bootsettings  settings_for_boot(): the one merge of saved, first-boot and fixed settings
    jsonstore   atomic JSON documents in a folder (every HAL's storage)
    uptime      tele uptime_s across the 2**30 ms tick wrap
    hal_common  HalServices: what every HAL provides alike (sleep, boot id, memory, uptime)

No hardware here (machine/network/socket only in hal_<platform>.py, boot.py, main.py): the host
imports this package too (the simulator's HAL and storage, `talkpuck deploy`'s config check), so a
rule of the puck is checked by the very code the puck runs.
"""
