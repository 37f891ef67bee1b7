"""app_main — the puck's boot sequence: config, pin map, HAL, settings, Puck, then asyncio forever.

    config.json   checked by devconfig (ConfigError naming the key; the puck prints it and stops)
    board.json    the pin map `talkpuck build` copied from hardware/boards/ (checked on the host);
                  its `detector` ("full" or "light": detect_light.py) picks the detector configuration
    HAL           hal_esp32 / hal_rp2 / hal_unix, picked once from sys.platform
    settings      the saved ones (puck.json), else config.json's `settings` (first boot); the ring's
                  LED count always comes from the board
On the unix port the config path is the first argument and the board file may also be found in
hardware/boards/<board>.json (relative to the cwd, the repo root).
"""
import asyncio
import json
import sys

import fwboot
from puckport import devconfig
from puckcore.errors import ConfigError
from puckcore.puck import Puck
from puckport.bootsettings import settings_for_boot
from puckport.fwupdate import Updater

class SafeMode(Exception):
    """The button was held at boot: return to the REPL without starting the puck."""


PORT_HALS = {"esp32": "hal_esp32", "rp2": "hal_rp2"}  # anything else: the unix port


def hal_module():
    name = PORT_HALS.get(sys.platform, "hal_unix")
    return __import__(name)


def load_board(cfg, unix):
    paths = ["board.json"]
    if unix:
        paths.append("hardware/boards/%s.json" % cfg.board)
    for path in paths:
        try:
            with open(path) as f:
                board = json.load(f)
        except OSError:
            continue
        except ValueError:
            raise ConfigError("board: %s is not valid JSON" % path)
        if board.get("name") != cfg.board:
            raise ConfigError("board: config.json says %r but %s is %r" % (cfg.board, path, board.get("name")))
        return board
    raise ConfigError("board: no board.json (deploy with talkpuck deploy --board %s)" % cfg.board)


def make_settings(hal, cfg, board):
    leds = (board.get("ring") or {}).get("leds")
    return settings_for_boot(hal.storage.load("puck"), cfg.settings, {"leds": leds} if leds else None)


async def start(config_path="config.json"):
    """Build and start the puck; returns it (its tasks run on the caller's loop)."""
    return (await start_parts(config_path))[0]


async def start_parts(config_path="config.json"):
    """Build and start the puck and its updater (puckport/fwupdate.py); returns both."""
    unix = sys.platform not in PORT_HALS
    cfg = devconfig.load(config_path, needs_wifi=not unix)
    board = load_board(cfg, unix)
    mod = hal_module()
    if hasattr(mod, "button_held") and mod.button_held(board):
        raise SafeMode()
    hal = mod.make_hal(cfg, board)
    puck = Puck.from_storage(hal, cfg.device, board=board["name"], settings=make_settings(hal, cfg, board),
                             detector=board.get("detector", "full"))
    # updates over the air: the updater's folder is fwboot's, beside the puck's storage
    fw = Updater(fwboot.folder(cfg.storage), cfg.ota_key, board["name"], hal.clock)
    puck.ctrl.fw = fw  # pyright: ignore[reportAttributeAccessIssue]  (the controller's default is None)
    puck.start()
    fw.start(lambda: puck.online)
    print("talkpuck %s on %s: boot %s, broker %s:%d" % (cfg.device, board["name"], puck.boot, cfg.host, cfg.port))
    return puck, fw


async def _main(config_path, failed):
    loop = asyncio.get_event_loop()

    def on_error(loop, context):  # a task died: report it and stop (development rule, STYLE §4)
        failed.append(context.get("exception"))
        print("talkpuck: task error:", context.get("message"), repr(context.get("exception")))

    loop.set_exception_handler(on_error)
    puck, fw = await start_parts(config_path)
    while not failed and not fw.reset_due:
        await asyncio.sleep_ms(200)
    if not failed:  # an update applied, or a copy on trial not healthy in time: reset
        fw.deinit()
        await puck.shutdown(drain_ms=2000)
        return fwboot.RESET
    return None


def run(config_path=None):
    """fwboot's one call. A ConfigError is printed and returned; any other error propagates;
    fwboot.RESET when the board should reset (fwboot.run passes it on to main.py)."""
    if config_path is None:
        config_path = sys.argv[1] if len(sys.argv) > 1 else "config.json"
    failed = []
    try:
        result = asyncio.run(_main(config_path, failed))
    except ConfigError as e:
        print("talkpuck: config error:", e)
        return e
    except SafeMode:
        print("talkpuck: button held at boot: safe mode, puck not started (REPL free for mpremote)")
        return None
    if failed:
        raise failed[0] if failed[0] is not None else RuntimeError("task failed")
    return result
