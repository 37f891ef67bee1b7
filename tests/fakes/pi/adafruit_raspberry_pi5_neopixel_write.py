"""Fake Pi 5 ring driver (Blinka's neopixel_write calls it on a Raspberry Pi 5): the bytes of each
write in `pi5.bin`, the pin and the count of writes in `pi5.json`."""
import _fakepi

_writes = 0


def neopixel_write(gpio, buf):
    global _writes
    _writes += 1
    _fakepi.write("pi5.bin", bytes(buf))
    _fakepi.write_json("pi5.json", {"gpio": gpio._pin.id, "writes": _writes})
