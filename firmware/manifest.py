# manifest.py — what goes on a puck, micropython-lib style.
#
# Used two ways:
# * `talkpuck build --board B` reads it (with stand-in functions) to know which files to compile
#   with mpy-cross; it keeps only the HAL of the board's chip (hal_mcu + hal_esp32 or hal_rp2);
# * a custom MicroPython build can freeze it: FROZEN_MANIFEST=/path/to/firmware/manifest.py
#   (then boot.py, main.py, config.json and board.json are still copied to the filesystem).
# Bump the version on any behaviour change of the device code.
metadata(description="talkpuck puck firmware: pure core, MQTT client, device HALs", version="0.1.0")

package("puckcore")                     # the pure core (detection, session, ring, codec, outbox, app)
                                        #   (the whole package: puck.py app + uplink.py link/rx tasks, ...)
module("app_main.py")                   # boot sequence: config, board, HAL, Puck, asyncio
package("puckport")                     # portable layer: config.json check, JSON storage, uptime, HalServices
module("mqtt_packets.py", base_path="lib")  # MQTT 3.1.1 packet encode/decode (pure)
module("mqtt_client.py", base_path="lib")   # async MQTT client over asyncio streams
module("mqtt_tls.py", base_path="lib")      # TLS client context: the installation CA, a checked certificate
module("usb_link.py", base_path="lib")      # the link over USB serial to `talkpuck bridge` ("link": "usb")
module("i2s_convert.py", base_path="lib")   # 32-bit I2S slots -> int16 frames (viper)
module("hal_mcu.py")                    # shared MCU parts: I2S mic, NeoPixel ring, button, Wi-Fi
module("hal_esp32.py")                  # ESP32-S3
module("hal_rp2.py")                    # Raspberry Pi Pico W
