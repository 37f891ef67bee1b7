"""wavpcm — where the samples start in a WAV file's bytes (plain Python: runs under MicroPython too;
used by bench/budget_mp.py and tests/host/mp_detect.py)."""


def pcm_start(data):
    """The offset of the "data" chunk's samples in `data`, the whole file's bytes."""
    i = 12
    while data[i : i + 4] != b"data":
        i += 8 + int.from_bytes(data[i + 4 : i + 8], "little")
    return i + 8
