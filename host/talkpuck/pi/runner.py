"""runner — `talkpuck pi run`: the Raspberry Pi puck's boot sequence, as app_main is a puck's.

    config    the puck's config file (puckport.devconfig: device, board, broker, mqtt_password,
              ca, settings, storage), with no `wifi` (the OS joins the network)
    board     hardware/boards/<board>.json checked by talkpuck.deploy.boards (the Pi is its own host)
    HAL       firmware/hal_pi.py (Blinka, neopixel, sounddevice; imported here, never by the host)
    link      talkpuck.mqtt.link.PahoLink: paho, the device's client id and login, a last will
    settings  saved, else the config's first-boot settings, the LED count from the board
    systemd   READY=1 once the puck runs; the watchdog (puckcore.watchdog) sends WATCHDOG=1 while
              its tasks loop; SIGTERM: a clean stop (outbox drained, `offline`), STOPPING=1
"""
import asyncio
import logging
import os
import signal
import sys

from puckcore.puck import Puck
from puckport import devconfig
from puckport.bootsettings import settings_for_boot
from talkpuck.deploy import boards
from talkpuck.errors import ConfigError

log = logging.getLogger(__name__)

FIRMWARE = os.path.join(boards.ROOT, "firmware")


def hal_module():
    """firmware/hal_pi.py: from the checkout the Pi runs (the install script keeps one)."""
    if FIRMWARE not in sys.path:
        sys.path.append(FIRMWARE)
    import hal_pi

    return hal_pi


def build(config_path):
    """(puck, hal) built from a config file; ConfigError naming the key when it is wrong."""
    cfg = devconfig.load(config_path, needs_wifi=False)
    if cfg.ssid is not None:
        raise ConfigError("wifi: a Raspberry Pi puck uses the OS's network: remove `wifi`")
    board = boards.require_valid(cfg.board)
    if board.get("chip") != "bcm-gpio":
        raise ConfigError("board: %s is not a Raspberry Pi board (chip %s)" % (cfg.board, board.get("chip")))
    from talkpuck.mqtt.link import PahoLink

    scheme = "mqtts" if cfg.tls else "mqtt"
    link = PahoLink("%s://%s:%d" % (scheme, cfg.host, cfg.port), cfg.device, ca=cfg.ca)
    link.password = cfg.mqtt_password or None
    hal = hal_module().make_hal(cfg, board, link)
    leds = (board.get("ring") or {}).get("leds")
    settings = settings_for_boot(hal.storage.load("puck"), cfg.settings, {"leds": leds} if leds else None)
    puck = Puck.from_storage(hal, cfg.device, board=board["name"], settings=settings)
    return puck, hal


async def run_async(config_path, stop=None):
    """Start the puck and keep it running until `stop` (an asyncio.Event) is set or SIGTERM/SIGINT."""
    puck, hal = build(config_path)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (RuntimeError, ValueError):  # not the main thread (tests)
            pass
    failed = []

    def on_error(loop, context):  # a task died: stop, and let systemd restart the puck
        failed.append(context.get("exception"))
        log.error("talkpuck pi: task error: %s %r", context.get("message"), context.get("exception"))
        stop.set()

    loop.set_exception_handler(on_error)
    puck.start()
    hal.watchdog.notify("READY=1")
    print("talkpuck %s on %s: boot %s, reset %s" % (puck.device, puck.board, puck.boot, puck.reset_reason),
          flush=True)
    await stop.wait()
    hal.watchdog.notify("STOPPING=1")
    await puck.shutdown(drain_ms=3000)
    hal.mic.close()
    hal.leds.off()
    return 1 if failed else 0


def run(config_path):
    return asyncio.run(run_async(config_path))
