"""levels — integer log2 and dB conversions for the detector (no floats in the per-frame path)."""

# LOG2_TAB[k] = round(256 * log2((64 + k) / 64)) for k in 0..63: the mantissa of a Q8 log2
LOG2_TAB = (
    0, 6, 11, 17, 22, 28, 33, 38, 44, 49, 54, 59, 63, 68, 73, 78,
    82, 87, 92, 96, 100, 105, 109, 113, 118, 122, 126, 130, 134, 138, 142, 146,
    150, 154, 157, 161, 165, 169, 172, 176, 179, 183, 186, 190, 193, 197, 200, 203,
    207, 210, 213, 216, 220, 223, 226, 229, 232, 235, 238, 241, 244, 247, 250, 253,
)


def log2_q8(v):
    """256 * log2(v) for an int v >= 1 (v < 1 counts as 1), within 1/256 + table error."""
    if v < 1:
        return 0
    n = 6
    while v >= 128:
        v >>= 1
        n += 1
    while v < 64:
        v <<= 1
        n -= 1
    return (n << 8) + LOG2_TAB[v - 64]


def log2q8_to_dbq(l2):
    """Q8 log2 of an amplitude ratio to 1/16 dB: 20*log10(2) = 6.0206 dB per octave."""
    return (l2 * 385) >> 10
