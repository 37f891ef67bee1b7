"""commands — host -> puck commands (protocol §6): build, check, record, publish, match responses."""
from talkpuck.commands.sender import Commander
from talkpuck.commands.sessions import SessionControl, new_session_id

__all__ = ["Commander", "SessionControl", "new_session_id"]
