"""FakeOutbox — records events like puckcore.outbox.Outbox: `add(kind, fields, now_ms)` -> seq, `next_seq`."""


class FakeOutbox:
    def __init__(self, first_seq=1):
        self.next_seq = first_seq
        self.events = []  # (seq, kind, fields, now_ms)

    def add(self, kind, fields, now_ms):
        seq = self.next_seq
        self.next_seq = seq + 1
        self.events.append((seq, kind, fields, now_ms))
        return seq

    def kinds(self):
        return [e[1] for e in self.events]

    def of(self, kind):
        """The fields of every event of this kind, oldest first."""
        return [e[2] for e in self.events if e[1] == kind]

    def last(self, kind=None):
        for e in reversed(self.events):
            if kind is None or e[1] == kind:
                return e[2]
        return None
