"""models — request bodies of the JSON API (pydantic); bad ones get a 422 naming the field.

NaN and Infinity never get this far: the guard refuses them in every JSON body (talkpuck.auth.guard).
"""
from typing import Any, Dict, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator

from talkpuck.protocol.topics import valid_device_id

MAX_ID = 2 ** 63 - 1               # SQL's BIGINT: a bigger id cannot exist and cannot be looked up
RESERVED_ARGS = ("id", "ts", "ttl_s")   # the host sets these on every command; args may not override them


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def _device(v: str, allow_all: bool = False) -> str:
    if allow_all and v == "all":
        return v
    if not valid_device_id(v):
        raise ValueError("device id %r must be 1-32 characters from [a-z0-9-], not all or host" % v)
    return v


class SessionStart(Body):
    device: str = Field(min_length=1, max_length=32)
    limit_s: int = Field(ge=1, le=86400)
    warn_s: Optional[int] = Field(default=None, ge=0, le=86400)
    purpose: Optional[str] = Field(default=None, max_length=200)

    @field_validator("device")
    @classmethod
    def _dev(cls, v: str) -> str:
        return _device(v)


class SessionExtend(Body):
    add_s: int = Field(ge=1, le=86400)


class RemoteHand(Body):
    room: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=80)


class CommandIn(Body):
    device: str = Field(min_length=1, max_length=32)
    verb: str = Field(min_length=1, max_length=32)
    args: Dict[str, Any] = Field(default_factory=dict)
    ttl_s: int = Field(default=30, ge=1, le=86400)

    @field_validator("device")
    @classmethod
    def _dev(cls, v: str) -> str:
        return _device(v, allow_all=True)

    @field_validator("args")
    @classmethod
    def _args(cls, v: Dict[str, Any]) -> Dict[str, Any]:
        bad = [k for k in RESERVED_ARGS if k in v]
        if bad:
            raise ValueError("%s set by the host; args may not override it" % ", ".join(bad))
        return v


class RoomSet(Body):
    room: Optional[str] = Field(default=None, max_length=64)


class MinBreak(Body):
    min_break_s: int = Field(ge=0, le=86400)


class ForgetName(BaseModel):
    name: str = Field(min_length=1, max_length=80)
    room: Optional[str] = Field(default=None, max_length=64)


class FollowUp(Body):
    """The follow-up window after a call (cmd/follow_up): seconds; 0 ends it."""
    seconds: int = Field(ge=0, le=86400)
