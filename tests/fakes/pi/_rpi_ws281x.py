"""Fake rpi_ws281x SWIG module (what Blinka's bcm283x neopixel_write calls on a Pi 1-4): the
strip's bytes as they would go out at each render, in `ws281x.bin`; its setup in `ws281x.json`."""
import _fakepi

WS2811_SUCCESS = 0
WS2811_STRIP_RGB = 0x00100800
SK6812_STRIP_RGBW = 0x18100800


class _Channel:
    def __init__(self):
        self.count = 0
        self.gpionum = 0
        self.invert = 0
        self.brightness = 0
        self.strip_type = None
        self.leds = {}


class _Strip:
    def __init__(self):
        self.channels = [_Channel(), _Channel()]
        self.freq = 0
        self.dmanum = 0
        self.inited = False
        self.renders = 0


def new_ws2811_t():
    return _Strip()


def delete_ws2811_t(strip):
    pass


def ws2811_channel_get(strip, n):
    return strip.channels[n]


def ws2811_channel_t_count_set(ch, v):
    ch.count = v


def ws2811_channel_t_gpionum_set(ch, v):
    ch.gpionum = v


def ws2811_channel_t_gpionum_get(ch):
    return ch.gpionum


def ws2811_channel_t_invert_set(ch, v):
    ch.invert = v


def ws2811_channel_t_brightness_set(ch, v):
    ch.brightness = v


def ws2811_channel_t_strip_type_set(ch, v):
    ch.strip_type = v


def ws2811_channel_t_strip_type_get(ch):
    return ch.strip_type


def ws2811_t_freq_set(strip, v):
    strip.freq = v


def ws2811_t_dmanum_set(strip, v):
    strip.dmanum = v


def ws2811_init(strip):
    strip.inited = True
    return WS2811_SUCCESS


def ws2811_led_set(ch, i, pixel):
    if not 0 <= i < ch.count:
        raise IndexError("led %d of %d" % (i, ch.count))
    ch.leds[i] = pixel


def ws2811_render(strip):
    if not strip.inited:
        return -1
    strip.renders += 1
    for ch in strip.channels:
        if ch.count:
            out = bytearray()
            for i in range(ch.count):
                p = ch.leds.get(i, 0)
                out += bytes(((p >> 16) & 255, (p >> 8) & 255, p & 255))
            _fakepi.write("ws281x.bin", bytes(out))
            _fakepi.write_json("ws281x.json", {"gpio": ch.gpionum, "count": ch.count, "freq": strip.freq,
                                               "brightness": ch.brightness, "renders": strip.renders})
    return WS2811_SUCCESS


def ws2811_fini(strip):
    strip.inited = False


def ws2811_get_return_t_str(code):
    return "fake error %d" % code
