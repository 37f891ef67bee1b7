"""fastcheck — a quick "certainly valid" test for the protocol schemas, before jsonschema.

jsonschema costs about 0.25 ms per event here (most of the host's ingest time). `compile_schema`
turns a schema into a plain Python predicate for the keywords the protocol's schemas use (type,
properties, required, additionalProperties, minimum, maximum, minLength, maxLength, pattern, const,
enum, items, maxItems, anyOf; annotations ignored) with schemas.py's strict meaning (an integer is
a Python int, not a bool nor a whole float; ECMA patterns). It may only say True when jsonschema
would accept: it is stricter wherever in doubt (const/enum compare types too), and a schema with
any other keyword gets no predicate (None). False means "ask jsonschema", which decides and names
the field. tests/host/test_fastcheck.py checks the agreement on every example and on generated
and mutated payloads.
"""
ANNOTATIONS = {"description", "$schema", "$id", "title", "examples", "$comment", "default"}

_TYPES = {
    "object": lambda x: type(x) is dict,
    "array": lambda x: type(x) is list,
    "string": lambda x: type(x) is str,
    "integer": lambda x: type(x) is int,
    "number": lambda x: type(x) in (int, float),
    "boolean": lambda x: type(x) is bool,
    "null": lambda x: x is None,
}


def _same(a, b):
    return type(a) is type(b) and a == b


def _additional(known, fn):
    return lambda x: type(x) is not dict or all(fn(v) for k, v in x.items() if k not in known)


def compile_schema(schema, regex):
    """A predicate instance -> bool (True: valid for sure), or None if the schema uses other keywords.
    `regex(pattern)` compiles a pattern as schemas.py does (ecma_regex)."""
    if schema is True:
        return lambda x: True
    if not isinstance(schema, dict):
        return None
    checks = []
    for key, val in schema.items():
        if key in ANNOTATIONS:
            continue
        if key == "type":
            names = [val] if isinstance(val, str) else list(val)
            if any(n not in _TYPES for n in names):
                return None
            fns = [_TYPES[n] for n in names]
            checks.append(lambda x, fns=fns: any(f(x) for f in fns))
        elif key in ("minimum", "maximum"):
            if type(val) not in (int, float):
                return None
            if key == "minimum":
                checks.append(lambda x, v=val: type(x) not in (int, float) or x >= v)
            else:
                checks.append(lambda x, v=val: type(x) not in (int, float) or x <= v)
        elif key in ("minLength", "maxLength"):
            if key == "minLength":
                checks.append(lambda x, v=val: type(x) is not str or len(x) >= v)
            else:
                checks.append(lambda x, v=val: type(x) is not str or len(x) <= v)
        elif key == "pattern":
            rx = regex(val)
            checks.append(lambda x, rx=rx: type(x) is not str or rx.search(x) is not None)
        elif key == "const":
            if type(val) not in (str, int, bool) and val is not None:
                return None
            checks.append(lambda x, v=val: _same(x, v))
        elif key == "enum":
            if any(type(v) not in (str, int, bool) and v is not None for v in val):
                return None
            checks.append(lambda x, vs=tuple(val): any(_same(x, v) for v in vs))
        elif key == "required":
            checks.append(lambda x, req=frozenset(val): type(x) is not dict or req.issubset(x))
        elif key == "properties":
            props = {}
            for name, sub in val.items():
                fn = compile_schema(sub, regex)
                if fn is None:
                    return None
                props[name] = fn
            checks.append(_properties(props))
        elif key == "additionalProperties":
            known = frozenset(schema.get("properties", {}))
            if "patternProperties" in schema:
                return None
            if val is False:
                checks.append(lambda x, known=known: type(x) is not dict or known.issuperset(x))
            else:
                extra = compile_schema(val, regex)
                if extra is None:
                    return None
                checks.append(_additional(known, extra))
        elif key == "items":
            fn = compile_schema(val, regex)
            if fn is None:
                return None
            checks.append(lambda x, fn=fn: type(x) is not list or all(fn(v) for v in x))
        elif key == "maxItems":
            checks.append(lambda x, v=val: type(x) is not list or len(x) <= v)
        elif key == "anyOf":
            subs = [compile_schema(sub, regex) for sub in val]
            fns = [f for f in subs if f is not None]
            if len(fns) != len(subs):
                return None
            checks.append(lambda x, fns=fns: any(f(x) for f in fns))
        else:
            return None
    return _all(checks)


def _all(checks):
    checks = tuple(checks)

    def check(x):
        for c in checks:
            if not c(x):
                return False
        return True
    return check


def _properties(props):
    def check(x):
        if type(x) is not dict:
            return True
        for k, v in x.items():
            f = props.get(k)
            if f is not None and not f(v):
                return False
        return True
    return check
