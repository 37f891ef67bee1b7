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

The predicate is generated Python source (one small function per sub-schema, compiled once per
schema): a turn event is checked in a few microseconds, where nested closures took ~150 us, the
largest part of the host's ingest time per message (bench/host_ingest.py).
"""
import re
from typing import Any, Callable

ANNOTATIONS = {"description", "$schema", "$id", "title", "examples", "$comment", "default"}

_TYPES = {
    "object": "type(x) is dict",
    "array": "type(x) is list",
    "string": "type(x) is str",
    "integer": "type(x) is int",
    "number": "type(x) in _NUM",
    "boolean": "type(x) is bool",
    "null": "x is None",
}
_LITERALS = (str, int, bool, type(None))


class _Unsupported(Exception):
    """A keyword or value the generator does not handle: the schema gets no predicate."""


class _Gen:
    """Collects one `def _fN(x): return ...` per sub-schema and the constants they refer to."""

    def __init__(self, regex: Callable[[str], re.Pattern[str]]) -> None:
        self.regex = regex
        self.defs: list[str] = []
        self.consts: dict[str, Any] = {"_NUM": (int, float)}

    def const(self, value: Any) -> str:
        name = "_c%d" % len(self.consts)
        self.consts[name] = value
        return name

    def func(self, schema: Any) -> str:
        """The name of a generated function testing `schema`."""
        expr = self.expr(schema)                     # nested functions are defined first
        name = "_f%d" % len(self.defs)
        self.defs.append("def %s(x):\n    return %s\n" % (name, expr))
        return name

    def expr(self, schema: Any) -> str:
        if schema is True:
            return "True"
        if not isinstance(schema, dict):
            raise _Unsupported(schema)
        parts = []
        typ = schema.get("type")
        if isinstance(typ, str) and typ in _TYPES:
            # one declared type: tested first, and the other keywords' guards ("type(x) is not str or
            # ...") dropped, since the conjunction stops before them when the type is wrong
            parts.append(self.keyword(schema, "type", typ))
        else:
            typ = None
        first: tuple[str, ...] = ()
        if typ == "object" and isinstance(schema.get("required"), list):
            # required before properties: a required property is then looked up without "k not in x or"
            parts.append(self.keyword(schema, "required", schema["required"], typ))
            first = ("required",)
        for key, val in schema.items():
            if key in ANNOTATIONS or (typ is not None and key == "type") or key in first:
                continue
            parts.append(self.keyword(schema, key, val, typ))
        return " and ".join("(%s)" % p for p in parts) if parts else "True"

    def keyword(self, schema: dict[str, Any], key: str, val: Any, typ: str | None = None) -> str:
        """The test of one keyword; `typ` is the schema's one type when it is tested before (guards go)."""
        num, text, obj, arr = typ in ("integer", "number"), typ == "string", typ == "object", typ == "array"
        if key == "type":
            names = [val] if isinstance(val, str) else list(val)
            if any(n not in _TYPES for n in names):
                raise _Unsupported(val)
            return " or ".join(_TYPES[n] for n in names)
        if key in ("minimum", "maximum"):
            if type(val) not in (int, float):
                raise _Unsupported(val)
            return ("" if num else "type(x) not in _NUM or ") + "x %s %s" % (
                ">=" if key == "minimum" else "<=", self.const(val))
        if key in ("minLength", "maxLength"):
            return ("" if text else "type(x) is not str or ") + "len(x) %s %s" % (
                ">=" if key == "minLength" else "<=", self.const(val))
        if key == "pattern":
            return ("" if text else "type(x) is not str or ") + "%s.search(x) is not None" % self.const(self.regex(val))
        if key == "const":
            return self.same(val)
        if key == "enum":
            if not val:
                return "False"
            return " or ".join("(%s)" % self.same(v) for v in val)
        if key == "required":
            return ("" if obj else "type(x) is not dict or ") + "%s.issubset(x)" % self.const(frozenset(val))
        if key == "properties":
            checks = []
            known = set(schema.get("required", ())) if obj and isinstance(schema.get("required"), list) else set()
            for name, sub in val.items():
                k = self.const(name)
                if name in known:                      # tested present before (expr: required first)
                    checks.append("%s(x[%s])" % (self.func(sub), k))
                else:
                    checks.append("(%s not in x or %s(x[%s]))" % (k, self.func(sub), k))
            return ("" if obj else "type(x) is not dict or ") + "(%s)" % (" and ".join(checks) or "True")
        if key == "additionalProperties":
            if "patternProperties" in schema:
                raise _Unsupported(key)
            props = self.const(frozenset(schema.get("properties", {})))
            guard = "" if obj else "type(x) is not dict or "
            if val is False:
                return guard + "%s.issuperset(x)" % props
            fn = self.func(val)
            return guard + "all(%s(v) for k, v in x.items() if k not in %s)" % (fn, props)
        if key == "items":
            return ("" if arr else "type(x) is not list or ") + "all(%s(v) for v in x)" % self.func(val)
        if key == "maxItems":
            return ("" if arr else "type(x) is not list or ") + "len(x) <= %s" % self.const(val)
        if key == "anyOf":
            return " or ".join("%s(x)" % self.func(sub) for sub in val)
        raise _Unsupported(key)

    def same(self, v: Any) -> str:
        """x equals v with the same type (True is not 1)."""
        if type(v) not in _LITERALS:
            raise _Unsupported(v)
        if v is None:
            return "x is None"
        return "type(x) is %s and x == %s" % (type(v).__name__, self.const(v))


def compile_schema(schema: Any, regex: Callable[[str], re.Pattern[str]]) -> Callable[[Any], bool] | None:
    """A predicate instance -> bool (True: valid for sure), or None if the schema uses other keywords.
    `regex(pattern)` compiles a pattern as schemas.py does (ecma_regex)."""
    gen = _Gen(regex)
    try:
        top = gen.func(schema)
    except _Unsupported:
        return None
    namespace = dict(gen.consts)
    exec(compile("".join(gen.defs), "<fastcheck>", "exec"), namespace)   # our own generated source only
    return namespace[top]
