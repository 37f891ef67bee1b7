"""Property-based: messages generated from every device->host schema (hypothesis-jsonschema), some
mutated (wrong types, out-of-range numbers, extra fields, long strings, NaN, floats for integers,
trailing newlines, bad device ids, retained events, oversize), pushed through the real Ingest into a
real SQLite store. Then rules on the stored rows: every valid message is taken, every mutated one
is refused and counted, no row holds a value outside the schema's bounds, no device row exists that
no valid message named, and the counts add up.

A few thousand cases by default; `--run-slow` runs the 100,000-case soak."""
import json
import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from puckcore.protocol import EVENT_KINDS
from talkpuck.ingest.ingest import Ingest
from talkpuck.protocol.errors import MessageRejected
from talkpuck.protocol.message import MAX_PAYLOAD
from talkpuck.protocol.schemas import SCHEMA_DIR, validate
from talkpuck.store import Store

DOCS = ("info", "state", "tele", "resp")
EVENTS = tuple("evt_" + k for k in EVENT_KINDS)
NAMES = DOCS + EVENTS
I31 = 2 ** 31 - 1
BOOT_RE = re.compile(r"[0-9a-f]{8}\Z")


def _load(name):
    with open(os.path.join(SCHEMA_DIR, name + ".json")) as f:
        return json.load(f)


SCHEMAS = {n: _load(n) for n in NAMES}


def _object_strategy(schema):
    """Objects of an allow-list schema: each property from hypothesis-jsonschema, the object put
    together here (the required fields and any subset of the optional ones: no other field can be
    valid). hypothesis-jsonschema's own object strategy rebuilds every property's strategy per draw,
    ~10x slower."""
    assert schema["additionalProperties"] is False
    props = {k: from_schema(p) for k, p in schema["properties"].items()}
    required = {k: props[k] for k in schema["required"]}
    return st.fixed_dictionaries(required, optional={k: v for k, v in props.items() if k not in required})


STRATEGIES = {n: _object_strategy(SCHEMAS[n]) for n in NAMES}


def _topic(device, name):
    return "talkpuck/v1/%s/%s" % (device, name.replace("evt_", "evt/"))


def _types(prop):
    if "anyOf" in prop:
        out = []
        for alt in prop["anyOf"]:
            out += _types(alt)
        return out
    t = prop.get("type", [])
    return t if isinstance(t, list) else [t]


def _string_prop(prop):
    for alt in prop.get("anyOf", [prop]):
        if "string" in _types(alt):
            return alt
    return None


# --- strategies ------------------------------------------------------------------------------------
devices = st.one_of(st.sampled_from(["puck-a1", "puck-b2", "p"]), st.from_regex(r"[a-z0-9-]{1,32}", fullmatch=True)
                    .filter(lambda d: d not in ("all", "host")))


@st.composite
def valid_message(draw):
    name = draw(st.sampled_from(NAMES + ("status",)))
    device = draw(devices)
    if name == "status":
        return ("status", device, draw(st.sampled_from([b"online", b"offline"])), draw(st.booleans()), None)
    payload = draw(STRATEGIES[name])
    retained = name in ("info", "state") and draw(st.booleans())
    return (name, device, json.dumps(payload).encode(), retained, payload)


def _mutations(name, payload):
    """The kinds of damage that apply to this message (each one must make it invalid)."""
    props = SCHEMAS[name]["properties"]
    out = ["extra", "wrong_type", "nan", "bad_device", "oversize", "missing"]
    ints = [k for k, p in props.items() if "integer" in _types(p) and k in payload
            and type(payload[k]) is int and ("maximum" in p or "minimum" in p)]
    if ints:
        out += ["out_of_range", "float_for_int", "bool_for_int", "huge_int"]
    if [k for k, p in props.items() if _string_prop(p) and "maxLength" in _string_prop(p) and k in payload]:
        out.append("long_string")
    if "boot" in payload:
        out.append("trailing_newline")
    if name.startswith("evt_"):
        out.append("retained_event")
    return out


@st.composite
def mutated_message(draw):
    name, device, raw, retained, payload = draw(valid_message())
    if name == "status":
        how = draw(st.sampled_from(["newline", "other", "bad_device"]))
        text = {"newline": raw + b"\n", "other": b"online!", "bad_device": raw}[how]
        if how == "bad_device":
            device = draw(st.sampled_from(["Puck", "puck\n", "a" * 33, "all", ""]))  # host/status is the host's own
        return (name, device, text, retained, how)
    how = draw(st.sampled_from(_mutations(name, payload)))
    props = SCHEMAS[name]["properties"]
    p = dict(payload)
    ints = sorted(k for k, pr in props.items() if "integer" in _types(pr) and k in p and type(p[k]) is int
                  and ("maximum" in pr or "minimum" in pr))
    strs = sorted(k for k, pr in props.items() if _string_prop(pr) and "maxLength" in _string_prop(pr) and k in p)
    if how == "extra":
        key = draw(st.text(min_size=1, max_size=20).filter(lambda k: k not in props))
        p[key] = draw(st.one_of(st.integers(), st.text(max_size=10), st.booleans(), st.none()))
    elif how == "wrong_type":
        p[draw(st.sampled_from(sorted(p)))] = {"a": 1}
    elif how == "missing":
        del p[draw(st.sampled_from(sorted(SCHEMAS[name]["required"])))]
    elif how == "out_of_range":
        k = draw(st.sampled_from(ints))
        pr = props[k]
        sides = [s for s in ("maximum", "minimum") if s in pr]
        side = draw(st.sampled_from(sides))
        far = draw(st.integers(1, 10 ** 12))
        p[k] = pr["maximum"] + far if side == "maximum" else pr["minimum"] - far
    elif how == "float_for_int":
        k = draw(st.sampled_from(ints))
        p[k] = draw(st.sampled_from([float(p[k]), p[k] + 0.5, 1e300]))
    elif how == "bool_for_int":
        p[draw(st.sampled_from(ints))] = draw(st.booleans())
    elif how == "huge_int":
        p[draw(st.sampled_from(ints))] = 10 ** draw(st.integers(19, 400))
    elif how == "long_string":
        k = draw(st.sampled_from(strs))
        p[k] = "x" * (_string_prop(props[k])["maxLength"] + draw(st.integers(1, 2000)))
    elif how == "trailing_newline":
        k = draw(st.sampled_from([k for k in ("boot", "prev_boot") if isinstance(p.get(k), str)]))
        p[k] = p[k] + draw(st.sampled_from(["\n", "\r\n", " "]))
    elif how == "oversize":
        p["pad"] = "y" * MAX_PAYLOAD
    elif how == "bad_device":
        device = draw(st.sampled_from(["Puck", "puck\n", "a" * 33, "all", "host", "", "p\u00e9", "x/y"]))
    elif how == "retained_event":
        retained = True
    if how == "nan":
        k = draw(st.sampled_from(sorted(p)))
        p[k] = "@@NAN@@"
        raw = json.dumps(p).replace('"@@NAN@@"', draw(st.sampled_from(["NaN", "Infinity", "-Infinity"]))).encode()
    else:
        raw = json.dumps(p).encode()
    return (name, device, raw, retained, how)


cases = st.one_of(valid_message().map(lambda c: ("valid",) + c), mutated_message().map(lambda c: ("bad",) + c))


# --- rules on the stored rows ------------------------------------------------------------------------
def _int_in(v, lo, hi):
    return type(v) is int and lo <= v <= hi


def check_rows(store, named):
    devs = store.devices()
    assert {d["id"] for d in devs} <= named, "device rows no valid message named"
    for d in devs:
        if d["state"] is not None:
            validate("state", d["state"])
        if d["tele"] is not None:
            validate("tele", d["tele"])
        for k in ("fw", "board"):
            assert d[k] is None or (isinstance(d[k], str) and 1 <= len(d[k]) <= 64), (d["id"], k)
        assert d["room_reported"] is None or len(d["room_reported"]) <= 64
        assert len(d["caps"]) <= 32 and all(isinstance(c, str) and len(c) <= 32 for c in d["caps"])
        assert d["leds"] is None or _int_in(d["leds"], 0, 1024)
        assert d["boot"] is None or BOOT_RE.match(d["boot"])
    for e in store.events(limit=10 ** 7):
        assert e["kind"] in EVENT_KINDS and e["device"] in named
        assert _int_in(e["seq"], 1, I31) and _int_in(e["dev_ms"], 0, 2 ** 30 - 1), e
        assert BOOT_RE.match(e["boot"]) and type(e["wall_ms"]) is int
        if not e["payload"]:
            continue        # heard between sessions: a receipt row, the payload not kept (store/events.py, docs/privacy.md)
        assert e["payload"]["seq"] == e["seq"] and e["payload"]["boot"] == e["boot"]
        validate("evt_" + e["kind"], e["payload"])
    gaps = store.gaps()
    for g in gaps:
        assert _int_in(g["max_seq"], 1, I31) and g["lost"] <= I31
        assert g["last_seq_reported"] is None or _int_in(g["last_seq_reported"], 0, I31)
    lost = store.events_lost()
    assert type(lost) is int and lost <= I31 * max(1, len(gaps))


class TappedStore(Store):
    """The real SQLite store; also keeps its counters' increments in memory, so each case can see
    what it was counted as without two SELECTs (the rows are checked against SQL at the end)."""

    def __init__(self, *a, **kw):
        Store.__init__(self, *a, **kw)
        self.tap = {}

    def incr(self, name, n=1, conn=None):
        out = Store.incr(self, name, n, conn)
        self.tap[name] = self.tap.get(name, 0) + n
        return out


def _rejections(store):
    return {k[len("rejected:"):]: v for k, v in store.tap.items() if k.startswith("rejected:")}


def run_cases(tmp_path, n):
    store = TappedStore(data_dir=str(tmp_path))
    ing = Ingest(store)
    named, tally = set(), {"valid": 0, "bad": 0, "evt": 0, "info": 0}

    @settings(max_examples=n, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(case=cases)
    def one(case):
        what, name, device, raw, retained, extra = case
        c0 = _rejections(store)
        ing.handle(_topic(device, name), raw, retained)
        c1 = _rejections(store)
        before, after = sum(c0.values()), sum(c1.values())
        prev = c1.get("prev_seq", 0) - c0.get("prev_seq", 0)
        if what == "valid":
            assert after - before == prev, ("valid message refused", name, raw[:300], store.counters("rejected:"))
            assert prev == 0 or name == "info"
            named.add(device)
            tally["valid"] += 1
            tally["evt"] += name.startswith("evt_")
        else:
            assert after - before == 1, ("mutated message (%s) taken" % extra, name, device, raw[:300])
            tally["bad"] += 1

    try:
        one()
        check_rows(store, named)
        counters = store.counters()
        assert {k: v for k, v in counters.items() if k.startswith("rejected:")} == \
            {k: v for k, v in store.tap.items() if k.startswith("rejected:")}
        rejected = sum(v for k, v in counters.items() if k.startswith("rejected:"))
        assert rejected == tally["bad"] + counters.get("rejected:prev_seq", 0)
        assert "rejected:internal" not in counters
        assert store.count("events") + counters.get("duplicates_dropped", 0) == tally["evt"]
        return tally
    finally:
        store.close()


def test_generated_and_mutated_messages_keep_the_store_inside_the_schemas(tmp_path):
    tally = run_cases(tmp_path, int(os.environ.get("TALKPUCK_PROPERTY_CASES", 2000)))
    assert tally["valid"] > 500 and tally["bad"] > 500, tally


@pytest.mark.slow
@pytest.mark.timeout(7200)
def test_soak_100k_generated_and_mutated_messages(tmp_path):
    tally = run_cases(tmp_path, 100000)
    assert tally["valid"] + tally["bad"] >= 95000, tally


@given(case=mutated_message())
@settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_every_mutation_is_refused_by_the_parser_alone(case):
    """The same mutations, without a store: parse_message itself refuses each one."""
    from talkpuck.protocol import parse_message
    name, device, raw, retained, how = case
    with pytest.raises(MessageRejected):
        parse_message(_topic(device, name), raw, retained)
