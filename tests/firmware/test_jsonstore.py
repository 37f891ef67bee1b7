"""jsonstore: atomic save, load back, replace, missing or corrupt documents load as None."""
import os
import sys

for _p in ("firmware", "firmware/lib"):
    if _p not in sys.path:
        sys.path.append(_p)

from puckport.jsonstore import JsonStore  # noqa: E402

from fakes.folders import empty_folder  # noqa: E402

FOLDER = "build/test-jsonstore"


def _clean():
    empty_folder(FOLDER)


def test_save_load_replace():
    _clean()
    s = JsonStore(FOLDER)
    assert s.load("puck") is None
    assert s.save("puck", {"a": 1, "b": [1, 2]})
    assert s.load("puck") == {"a": 1, "b": [1, 2]}
    assert s.save("puck", {"a": 2})
    assert s.load("puck") == {"a": 2}
    assert "puck.json.tmp" not in os.listdir(FOLDER)


def test_corrupt_document_loads_as_none():
    _clean()
    s = JsonStore(FOLDER)
    with open(FOLDER + "/boot.json", "w") as f:
        f.write('{"boot": "ab')
    assert s.load("boot") is None
    assert s.save("boot", {"boot": "abcd0123", "seq": 4})
    assert s.load("boot")["seq"] == 4
