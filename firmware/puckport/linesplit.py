"""linesplit — cuts a byte stream into lines in one preallocated buffer; over-long lines are skipped and counted.

Used by the USB link on both ends (usbframe lines). No allocation per byte: bytes are copied into a
bytearray allocated once; a finished line is handed out as one `bytes` (per line: what is needed).

    s = LineSplitter(max_line)
    i = 0
    while i < n:
        i, line = s.feed(data, i, n)     # line: bytes without b"\\n", or None (need more input)
    s.overflows                          # lines longer than max_line, dropped up to their newline
"""


class LineSplitter:
    def __init__(self, max_line):
        self.buf = bytearray(max_line)
        self.n = 0
        self.overflows = 0
        self.skipping = False  # inside an over-long line: drop up to the next newline

    def feed(self, data, i, end):
        """Take data[i:end] up to and including the first newline. -> (next index, line or None)."""
        buf = self.buf
        size = len(buf)
        n = self.n
        while i < end:
            b = data[i]
            i += 1
            if b == 10:
                if self.skipping:
                    self.skipping = False
                    n = 0
                    continue
                self.n = 0
                return i, bytes(buf[:n])
            if self.skipping:
                continue
            if n == size:
                self.overflows += 1
                self.skipping = True
                n = 0
                continue
            buf[n] = b
            n += 1
        self.n = n
        return i, None

    def reset(self):
        self.n = 0
        self.skipping = False
