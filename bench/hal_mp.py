"""hal_mp — per-frame cost of the device HAL's own work, run under MicroPython (or CPython):
I2S slot conversion (viper and portable), the ring's RGB->GRB copy, a PCM frame read.
Prints: label us_per_frame heap_growth_bytes. Used by bench/hal_bench.py."""
import gc
import sys
import time
from array import array

sys.path.append("firmware")
sys.path.append("firmware/lib")
import i2s_convert

N = 500


def now_us():
    try:
        return time.ticks_us()
    except AttributeError:
        return int(time.perf_counter() * 1e6)


def measure(label, fn):
    fn()
    gc.collect()
    a0 = gc.mem_alloc() if hasattr(gc, "mem_alloc") else 0
    t0 = now_us()
    for _ in range(N):
        fn()
    t1 = now_us()
    a1 = gc.mem_alloc() if hasattr(gc, "mem_alloc") else 0
    print(label, "%.1f" % ((t1 - t0) / N), a1 - a0)


src = bytearray(4 * 320)
for i in range(len(src)):
    src[i] = (i * 37) & 0xFF
frame = array("h", bytes(640))
rgb = bytearray(72)
for i in range(72):
    rgb[i] = i
out = bytearray(72)


def conv_fast():
    i2s_convert.convert(src, frame, 320, 14)


def conv_py():
    i2s_convert.convert_py(src, frame, 320, 14)


def ring_copy():
    # the loop of hal_mcu.NeoRing.write (without the driver's write)
    a, b, c = 1, 0, 2
    for i in range(0, 70, 3):
        out[i] = rgb[i + a]
        out[i + 1] = rgb[i + b]
        out[i + 2] = rgb[i + c]


with open("build/bench-hal.s16le", "wb") as f:
    f.write(bytes(640 * (N + 2)))
pcm = open("build/bench-hal.s16le", "rb")


def pcm_read():
    if pcm.readinto(frame) < 640:
        pcm.seek(0)


measure("i2s_convert" + ("_viper" if i2s_convert.convert is not i2s_convert.convert_py else "_py"), conv_fast)
measure("i2s_convert_py", conv_py)
measure("ring_copy_24", ring_copy)
measure("pcm_readinto", pcm_read)
