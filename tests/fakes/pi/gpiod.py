"""Fake libgpiod 2.x bindings (the `gpiod` module Blinka's Raspberry Pi pins call).

A chip labelled like the Pi's header controller; a line's input level comes from the file
`gpio<N>` ("0" or "1") in $TALKPUCK_FAKE_PI, else from its pull (up: 1, down or none: 0).
"""
import os

import _fakepi

__version__ = "2.2.0"
LABEL = os.environ.get("TALKPUCK_FAKE_GPIOCHIP", "pinctrl-bcm2711")


class _Enum:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


class line:
    class Value:
        INACTIVE = _Enum("INACTIVE")
        ACTIVE = _Enum("ACTIVE")

    class Direction:
        INPUT = _Enum("INPUT")
        OUTPUT = _Enum("OUTPUT")

    class Bias:
        DISABLED = _Enum("DISABLED")
        PULL_UP = _Enum("PULL_UP")
        PULL_DOWN = _Enum("PULL_DOWN")


class LineSettings:
    def __init__(self):
        self.direction = None
        self.bias = None
        self.output_value = None


class _Info:
    def __init__(self, label, num_lines):
        self.label = label
        self.num_lines = num_lines


class _Request:
    def __init__(self, chip, offsets):
        self.chip = chip
        self.settings = {o: None for o in offsets}
        self.out = {}

    def reconfigure_lines(self, config):
        for offset, s in config.items():
            self.settings[offset] = s
            with open(_fakepi.path("gpio.log"), "a") as f:
                f.write("%d %r %r\n" % (offset, s.direction, s.bias))

    def get_value(self, offset):
        s = self.settings.get(offset)
        if s is not None and s.direction is line.Direction.OUTPUT:
            return self.out.get(offset, s.output_value)
        try:
            with open(_fakepi.path("gpio%d" % offset)) as f:
                level = f.read().strip() == "1"
        except OSError:
            level = s is not None and s.bias is line.Bias.PULL_UP
        return line.Value.ACTIVE if level else line.Value.INACTIVE

    def set_value(self, offset, value):
        self.out[offset] = value

    def release(self):
        pass


class Chip:
    def __init__(self, path):
        if not os.path.exists(path):  # as libgpiod: the character device must exist
            raise FileNotFoundError(path)
        self.path = path

    def get_info(self):
        return _Info(LABEL, 54)

    def request_lines(self, config, consumer=None):
        return _Request(self, list(config))

    def close(self):
        pass
