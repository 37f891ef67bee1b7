"""rttm — read and write NIST RTTM speaker segments (UTF-8)."""


def read_rttm(path):
    """Return {file_id: [(start_s, end_s, speaker), ...]} sorted by start."""
    out: dict[str, list] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if not parts or parts[0] != "SPEAKER":
                continue
            start, dur = float(parts[3]), float(parts[4])
            out.setdefault(parts[1], []).append((start, start + dur, parts[7]))
    for segs in out.values():
        segs.sort()
    return out


def format_rttm(file_id, segments):
    """segments: [(start_s, end_s, voice)] -> RTTM text."""
    lines = []
    for start, end, voice in segments:
        lines.append(
            "SPEAKER %s 1 %.3f %.3f <NA> <NA> %s <NA> <NA>\n" % (file_id, start, max(0.0, end - start), voice)
        )
    return "".join(lines)
