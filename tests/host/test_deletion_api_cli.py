"""Deletion from the API and the CLI, and the host's retention loop and setting (store/retention.py)."""
import time

import pytest
from test_retention import DAY, populate
from webauth import logged_in

from talkpuck.api import create_app
from talkpuck.cli import main
from talkpuck.errors import ConfigError
from talkpuck.service.maintenance import Maintenance
from talkpuck.service.settings import RETENTION_DAYS_DEFAULT, Settings
from talkpuck.store import Store


@pytest.fixture
def env(tmp_path):
    store = Store(data_dir=str(tmp_path))
    populate(store)
    app = create_app(Settings("mqtt://127.0.0.1:1", data_dir=str(tmp_path), retention_days=30), store)
    yield logged_in(app, store), store   # every route needs a login; deletion needs an admin
    store.close()


def test_deletion_needs_an_admin(env):
    admin, store = env
    host = logged_in(admin.app, store, name="ann", role="host", rooms=("Room A",))
    assert host.get("/api/names").status_code == 404
    assert host.post("/api/names/forget", json={"name": "Sam Room A"}).status_code == 404
    assert host.delete("/api/sessions/s-a").status_code == 404
    assert host.delete("/api/rooms/Room A/data").status_code == 404
    assert len(store.sessions()) == 2


def test_deletion_through_the_api(env):
    client, store = env
    assert client.get("/api/retention").json()["retention_days"] == 30
    assert client.get("/api/names").json() == {"Sam Room A": 1, "Sam Room B": 1}
    r = client.post("/api/names/forget", json={"name": "Sam Room A"})
    assert r.status_code == 200 and r.json()["rows"] == 1
    assert client.post("/api/names/forget", json={"name": ""}).status_code == 422
    r = client.delete("/api/sessions/s-a")
    assert r.status_code == 200 and r.json()["deleted"]["sessions"] == 1 and r.json()["deleted"]["events"] == 6
    assert client.delete("/api/sessions/s-a").status_code == 404
    r = client.delete("/api/rooms/Room B/data")
    assert r.status_code == 200 and r.json()["deleted"]["sessions"] == 1
    assert store.sessions() == [] and store.count("turns") == 0 and store.count("hands") == 0


def test_deletion_from_the_cli(tmp_path, capsys):
    data = str(tmp_path)
    store = Store(data_dir=data)
    populate(store)
    assert main(["names", "--data-dir", data]) == 0
    assert "Sam Room A" in capsys.readouterr().out
    assert main(["forget-name", "Sam Room B", "--data-dir", data]) == 0
    assert "1 row" in capsys.readouterr().out
    assert main(["delete-session", "s-a", "--data-dir", data]) == 0
    out = capsys.readouterr().out
    assert "session s-a:" in out and "sessions 1" in out
    assert main(["delete-session", "s-a", "--data-dir", data]) == 2          # NotFound: exit 2, said plainly
    assert "no session 's-a'" in capsys.readouterr().err
    assert main(["delete-room", "Room B", "--data-dir", data]) == 0
    assert main(["prune", "--retention-days", "0", "--data-dir", data]) == 2  # checked: 1..3650
    assert "retention_days" in capsys.readouterr().err
    assert main(["prune", "--retention-days", "1", "--data-dir", data]) == 0
    assert store.sessions() == [] and store.remote_names() == {}
    store.close()


@pytest.mark.parametrize("bad", [0, -1, 3651, "ninety", 1.5, None])
def test_retention_days_is_checked_at_load(bad):
    with pytest.raises(ConfigError, match="retention_days"):
        Settings("mqtt://127.0.0.1:1", retention_days=bad)
    assert Settings("mqtt://127.0.0.1:1").retention_days == RETENTION_DAYS_DEFAULT


def test_the_maintenance_loop_prunes_at_start_and_counts_it(tmp_path):
    store = Store(data_dir=str(tmp_path))
    populate(store, int(time.time() * 1000) - 40 * DAY)
    m = Maintenance(store, 30).start()
    try:
        deadline = time.monotonic() + 10
        while m.passes == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert m.passes == 1 and m.last["sessions"] == 2
        assert store.sessions() == [] and store.counter("retention_deleted:sessions") == 2
    finally:
        m.stop()
        store.close()
