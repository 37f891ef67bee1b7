"""schemas — loads protocol/schemas/*.json (package data) once and validates payloads against them.

Errors name the topic and the field (the JSON path of the first failure), so a log line is enough
to find what a puck got wrong.
"""
import json
import os
import threading

import jsonschema

from talkpuck.errors import ConfigError
from talkpuck.protocol.errors import MessageRejected

_HERE = os.path.dirname(os.path.abspath(__file__))
# package data (pyproject package-data): found the same way in a checkout and in an installed package
SCHEMA_DIR = os.environ.get("TALKPUCK_SCHEMAS") or os.path.join(_HERE, "schemas")

_lock = threading.Lock()
_validators: dict = {}


def schema_names():
    return sorted(n[:-5] for n in os.listdir(SCHEMA_DIR) if n.endswith(".json"))


def _validator(name):
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
            v = _validators[name] = cls(schema)
    return v


def _field(err):
    path = "/".join(str(p) for p in err.absolute_path)
    if err.validator == "required":
        # "'seq' is a required property" -> the field is the missing one
        return err.message.split("'")[1] if "'" in err.message else path
    if err.validator == "additionalProperties":
        return path or "(payload)"
    return path or "(payload)"


def validate(name, payload, topic=None):
    """Check `payload` against schema `name`; raise MessageRejected(reason 'schema') naming the field."""
    v = _validator(name)
    errors = sorted(v.iter_errors(payload), key=lambda e: (len(list(e.absolute_path)), e.message))
    if errors:
        err = errors[0]
        field = _field(err)
        reason = "bad_version" if field == "v" else "schema"
        raise MessageRejected(reason, "field %s: %s" % (field, err.message), topic)
    return payload


def check_command(verb, payload, topic=None):
    """Validate an outgoing command before it is published (the host must not send what pucks reject)."""
    return validate("cmd_" + verb, payload, topic)
