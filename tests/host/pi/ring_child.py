"""One ring frame through hal_pi.NeoRing (Blinka + neopixel, real code) down to the faked driver.

Run like pi_child.py (a Pi's /proc/cpuinfo and /dev/gpiochip0, tests/fakes/pi first on the path);
argv: board file, then the RGB frame as hex."""
import binascii
import json
import sys

from talkpuck.pi import runner

if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        board = json.load(f)
    hal_pi = runner.hal_module()
    ring = hal_pi.NeoRing(board)
    ring.write(bytearray(binascii.unhexlify(sys.argv[2])))
    button = hal_pi.PinButton(board)
    print(json.dumps({"pressed": button.value()}))
