"""docs/privacy.md says what the code does: the tables, the retention setting, the commands and routes it names."""
import json
import os
import re

from talkpuck.api import create_app
from talkpuck.cli import build_parser
from talkpuck.protocol.schemas import SCHEMA_DIR
from talkpuck.service.settings import RETENTION_DAYS_DEFAULT, RETENTION_DAYS_MAX, Settings
from talkpuck.store import retention
from talkpuck.store import tables as t

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _doc():
    with open(os.path.join(ROOT, "docs", "privacy.md")) as f:
        return f.read()


def test_every_table_is_described_with_what_happens_to_it():
    doc = _doc()
    for name in t.metadata.tables:
        assert "`%s`" % name in doc, "docs/privacy.md §5.3 does not describe table %s" % name
        retention.rule_for(name)


def test_the_retention_setting_named_is_the_real_one():
    doc = _doc()
    assert "`retention_days`" in doc and Settings("mqtt://127.0.0.1:1").retention_days == RETENTION_DAYS_DEFAULT
    assert "the default is %d days" % RETENTION_DAYS_DEFAULT in doc
    assert "from 1 to %d" % RETENTION_DAYS_MAX in doc
    assert "--retention-days" in build_parser()._subparsers._group_actions[0].choices["serve"].format_help()


def test_the_commands_and_routes_named_exist(tmp_path):
    doc = _doc()
    commands = build_parser()._subparsers._group_actions[0].choices
    for name in re.findall(r"`talkpuck ([a-z-]+)", doc):
        assert name in commands, name
    from talkpuck.store import Store
    store = Store(data_dir=str(tmp_path))
    api = create_app(Settings("mqtt://127.0.0.1:1", data_dir=str(tmp_path)), store).openapi()["paths"]
    routes = {(m.upper(), p) for p, ops in api.items() for m in ops}
    store.close()
    norm = {(m, re.sub(r"\{[^}]+\}", "X", p)) for m, p in routes}
    named = re.findall(r"`(GET|POST|DELETE) (/api/[^`]+)`", doc)
    assert len(named) >= 3
    for method, path in named:
        assert (method, re.sub(r"\b[A-Z]+\b", "X", path)) in norm, (method, path)


def test_the_purpose_is_not_part_of_what_a_puck_receives():
    with open(os.path.join(SCHEMA_DIR, "cmd_session_start.json")) as f:
        assert "purpose" not in json.load(f)["properties"]
    assert "never sent to a puck" in _doc()


def test_the_outbox_size_and_the_logins_are_the_real_ones():
    from puckcore.outbox import Outbox
    from talkpuck.store.users import TABLES
    doc = _doc()
    assert "at most %d" % Outbox.capacity_default in doc and "past %d" % Outbox.capacity_default in doc
    for table in TABLES:
        assert "`%s`" % table.name in doc, table.name
    assert "planned" not in doc
