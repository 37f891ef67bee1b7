"""schemas — loads protocol/schemas/*.json (package data) once and validates payloads against them.

Errors name the topic and the field (the JSON path of the first failure), so a log line is enough
to find what a puck got wrong.

Two places where Python's jsonschema is looser than the schemas mean, tightened here:
- "integer" accepts whole floats (1.0, 1e300) in JSON Schema; here an integer is a Python int
  (not a bool, not a float), so `seq = 1e300` is refused instead of being stored as REAL;
- "pattern" is ECMA-262, where `$` is the end of the text; Python's `re.search` lets `$` match
  before a trailing newline ("0123abcd\n" passed `^[0-9a-f]{8}$`). `ecma_regex` compiles a
  pattern with every unescaped `$` as `\\Z`.
"""
import json
import os
import re
import threading
from collections.abc import Iterator
from typing import Any, Callable

import jsonschema

from talkpuck.errors import ConfigError
from talkpuck.protocol.errors import MessageRejected
from talkpuck.protocol.fastcheck import compile_schema

_HERE = os.path.dirname(os.path.abspath(__file__))
# package data (pyproject package-data): found the same way in a checkout and in an installed package
SCHEMA_DIR = os.environ.get("TALKPUCK_SCHEMAS") or os.path.join(_HERE, "schemas")

_lock = threading.Lock()
_validators: dict[str, Any] = {}     # name -> jsonschema validator
_fast: dict[str, Callable[[Any], bool] | None] = {}        # name -> fastcheck predicate (True: valid for sure) or None
_patterns: dict[str, re.Pattern[str]] = {}


def ecma_regex(pattern: str) -> re.Pattern[str]:
    """`pattern` compiled with ECMA's end-of-text `$` (Python's `\\Z`): no trailing newline passes."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if ch == "[":
            in_class = True
        elif ch == "]":
            in_class = False
        out.append("\\Z" if ch == "$" and not in_class else ch)
        i += 1
    return re.compile("".join(out))


def _is_integer(checker: Any, instance: Any) -> bool:
    return type(instance) is int  # bool is a subclass of int; float 1.0 is not an integer here


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    if not validator.is_type(instance, "string"):
        return
    rx = _patterns.get(pattern)
    if rx is None:
        rx = _patterns[pattern] = ecma_regex(pattern)
    if not rx.search(instance):
        yield jsonschema.ValidationError("%r does not match %r" % (instance[:40], pattern))


def _strict(cls: Any) -> Any:
    """`cls` (a jsonschema validator class) with integers that are ints and ECMA patterns."""
    checker = cls.TYPE_CHECKER.redefine("integer", _is_integer)
    return jsonschema.validators.extend(cls, validators={"pattern": _pattern}, type_checker=checker)


def schema_names() -> list[str]:
    return sorted(n[:-5] for n in os.listdir(SCHEMA_DIR) if n.endswith(".json"))


def _validator(name: str) -> Any:
    v = _validators.get(name)
    if v is None:
        with _lock:
            path = os.path.join(SCHEMA_DIR, name + ".json")
            if not os.path.exists(path):
                raise ConfigError("protocol schema %s missing (looked in %s)" % (name, SCHEMA_DIR))
            with open(path) as f:
                schema = json.load(f)
            cls = jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            _fast[name] = compile_schema(schema, _regex)
            v = _validators[name] = _strict(cls)(schema)
    return v


def _regex(pattern: str) -> re.Pattern[str]:
    rx = _patterns.get(pattern)
    if rx is None:
        rx = _patterns[pattern] = ecma_regex(pattern)
    return rx


def _field(err: jsonschema.ValidationError) -> str:
    path = "/".join(str(p) for p in err.absolute_path)
    if err.validator == "required":
        # "'seq' is a required property" -> the field is the missing one
        return err.message.split("'")[1] if "'" in err.message else path
    if err.validator == "additionalProperties":
        return path or "(payload)"
    return path or "(payload)"


def validate(name: str, payload: Any, topic: str | None = None) -> Any:
    """Check `payload` against schema `name`; raise MessageRejected(reason 'schema') naming the field."""
    v = _validator(name)
    fast = _fast.get(name)
    if fast is not None and fast(payload):   # the common case, ~20x cheaper (protocol/fastcheck.py)
        return payload
    errors = sorted(v.iter_errors(payload), key=lambda e: (len(list(e.absolute_path)), e.message))
    if errors:
        err = errors[0]
        field = _field(err)
        reason = "bad_version" if field == "v" else "schema"
        raise MessageRejected(reason, "field %s: %s" % (field[:64], err.message[:200]), topic)
    return payload


def check_command(verb: str, payload: dict[str, Any], topic: str | None = None) -> dict[str, Any]:
    """Validate an outgoing command before it is published (the host must not send what pucks reject)."""
    return validate("cmd_" + verb, payload, topic)
