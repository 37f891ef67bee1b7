"""api — the host's HTTP side: `create_app(settings, store, ...)` builds the FastAPI app, a router per resource."""
from talkpuck.api.app import create_app

__all__ = ["create_app"]
