"""i2s_convert — 32-bit I2S microphone slots to int16 samples, in place of nothing (no allocation).

An INMP441 / ICS-43434 sends 24-bit samples left-justified in 32-bit slots, read by machine.I2S
(bits=32) as little-endian int32 words. `convert(src, dst, n, shift)` writes
clip((word >> shift), int16) for n words of `src` (a bytearray) into `dst` (an array('h')).
`shift` 16 keeps the top 16 bits; 14 adds 12 dB of gain for quiet rooms (clipped, not wrapped).

Under MicroPython the viper version is used; ptr16 loads are unsigned, so the high half is
sign-extended by hand (portable to 64-bit unix, where a ptr32 load would not sign-extend).
The portable version is the reference the tests compare it with.
"""


def convert_py(src, dst, n, shift):
    j = 0
    for i in range(n):
        hi = src[j + 2] | (src[j + 3] << 8)
        if hi >= 32768:
            hi -= 65536
        lo = src[j] | (src[j + 1] << 8)
        # the word is hi*65536 + lo; shift without forming it (stays a small int on the device)
        if shift >= 16:
            v = hi >> (shift - 16)
        else:
            v = (hi << (16 - shift)) | (lo >> shift)
        if v > 32767:
            v = 32767
        elif v < -32768:
            v = -32768
        dst[i] = v
        j += 4


try:
    import micropython

    @micropython.viper
    def _convert_viper(src, dst, n: int, shift: int):
        s = ptr16(src)
        d = ptr16(dst)
        i = 0
        while i < n:
            hi = int(s[2 * i + 1])
            if hi >= 32768:
                hi -= 65536
            lo = int(s[2 * i])
            if shift >= 16:
                v = hi >> (shift - 16)
            else:
                v = (hi << (16 - shift)) | (lo >> shift)
            if v > 32767:
                v = 32767
            elif v < -32768:
                v = -32768
            d[i] = v
            i += 1

    convert = _convert_viper
except (ImportError, AttributeError, NameError, SyntaxError):  # CPython, or a port without viper
    convert = convert_py
