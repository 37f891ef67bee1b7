"""The fast schema predicate (protocol/fastcheck.py) never accepts what jsonschema refuses, and does
accept every golden example (so ingest takes the fast path); checked on the examples and on
generated and mutated payloads of every schema."""
import json
import os

from hypothesis import given, settings
from hypothesis import strategies as st

from talkpuck.protocol import schemas

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        "docs", "protocol", "examples")


def _examples():
    out = []
    for name in sorted(os.listdir(EXAMPLES)):
        with open(os.path.join(EXAMPLES, name)) as f:
            ex = json.load(f)
        if isinstance(ex.get("payload"), dict) and ex.get("schema", None) is not False:
            out.append((name, ex))
    return out


def _schema_of(ex):
    from talkpuck.protocol.message import parse_topic
    return parse_topic(ex["topic"]).schema_name


def _agree(name, payload):
    schemas._validator(name)
    fast = schemas._fast[name]
    ok = not list(schemas._validator(name).iter_errors(payload))
    if fast is not None and fast(payload):
        assert ok, (name, payload)
    return ok


def test_every_schema_has_a_fast_predicate_and_it_accepts_every_golden_example():
    for name in schemas.schema_names():
        schemas._validator(name)
        assert schemas._fast[name] is not None, name
    seen = 0
    for fname, ex in _examples():
        name = _schema_of(ex)
        if name not in schemas._fast:
            schemas._validator(name)
        if not list(schemas._validator(name).iter_errors(ex["payload"])):
            assert schemas._fast[name](ex["payload"]), fname
            seen += 1
    assert seen >= 10


def test_known_tightenings_are_refused_by_the_fast_path_too():
    name = "evt_turn"
    good = next(ex["payload"] for f, ex in _examples() if _schema_of(ex) == name)
    assert _agree(name, good)
    for bad in (dict(good, seq=1.0), dict(good, seq=True), dict(good, boot="0000beef\n"),
                dict(good, extra=1), {k: v for k, v in good.items() if k != "seq"}, dict(good, seq=-1)):
        assert not schemas._fast[name](bad), bad
        assert not _agree(name, bad)


JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False) |
                    st.text(max_size=12),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                    max_leaves=6)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutated_examples_never_pass_the_fast_path_when_jsonschema_refuses(data):
    fname, ex = data.draw(st.sampled_from(_examples()))
    payload = dict(ex["payload"])
    for _ in range(data.draw(st.integers(1, 3))):
        op = data.draw(st.sampled_from(["set", "drop", "add"]))
        if op == "set" and payload:
            payload[data.draw(st.sampled_from(sorted(payload)))] = data.draw(JSON)
        elif op == "drop" and payload:
            payload.pop(data.draw(st.sampled_from(sorted(payload))))
        else:
            payload[data.draw(st.text(max_size=8))] = data.draw(JSON)
    _agree(_schema_of(ex), payload)
