"""analytics — what a session looked like (turns and talk time per voice, hand raises) and host totals."""
from talkpuck.analytics.summary import session_summary, stats, voices_of

__all__ = ["session_summary", "stats", "voices_of"]
