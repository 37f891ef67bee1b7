"""models — request bodies of the JSON API (pydantic); bad ones get a 422 naming the field."""
from typing import Any, Dict, Optional

from pydantic import BaseModel, Field


class SessionStart(BaseModel):
    device: str = Field(min_length=1, max_length=32)
    limit_s: int = Field(ge=1, le=86400)
    warn_s: Optional[int] = Field(default=None, ge=0, le=86400)
    purpose: Optional[str] = Field(default=None, max_length=200)


class SessionExtend(BaseModel):
    add_s: int = Field(ge=1, le=86400)


class RemoteHand(BaseModel):
    room: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=80)


class CommandIn(BaseModel):
    device: str = Field(min_length=1, max_length=32)
    verb: str = Field(min_length=1, max_length=32)
    args: Dict[str, Any] = Field(default_factory=dict)
    ttl_s: int = Field(default=30, ge=1, le=86400)


class RoomSet(BaseModel):
    room: Optional[str] = Field(default=None, max_length=64)


class MinBreak(BaseModel):
    min_break_s: int = Field(ge=0, le=86400)


class ForgetName(BaseModel):
    name: str = Field(min_length=1, max_length=80)
    room: Optional[str] = Field(default=None, max_length=64)
