"""fwmanifest: a good manifest parses; every bad field is refused naming it."""
import json
import sys

for _p in ("firmware", "firmware/lib"):
    if _p not in sys.path:
        sys.path.append(_p)

from puckcore import fwmanifest  # noqa: E402
from puckcore.errors import ProtocolError  # noqa: E402

SHA = "ab" * 32


def _doc(**kw):
    doc = {"fw": "0.2.0", "board": "unix", "files": [["app_main.mpy", 10, SHA], ["puckcore/codec.mpy", 5, SHA]]}
    doc.update(kw)
    return json.dumps(doc).encode()


def _refused(data, word):
    try:
        fwmanifest.parse(data)
    except ProtocolError as e:
        assert word in str(e), str(e)
        return
    raise AssertionError("accepted: %r" % data)


def test_good_manifest():
    m = fwmanifest.parse(_doc())
    assert m["fw"] == "0.2.0" and m["board"] == "unix"
    assert m["files"] == [("app_main.mpy", 10, SHA), ("puckcore/codec.mpy", 5, SHA)]
    assert fwmanifest.total_size(m, 100) == 115


def test_bad_fields_are_refused_by_name():
    _refused(b"not json", "not JSON")
    _refused(b"[1]", "not an object")
    _refused(_doc(fw=""), "manifest.fw")
    _refused(_doc(fw="x" * 33), "manifest.fw")
    _refused(_doc(board=5), "manifest.board")
    _refused(_doc(files=[]), "manifest.files")
    _refused(_doc(files=[["a.mpy", 1]]), "files[0]")
    _refused(_doc(files=[["a.mpy", -1, SHA]]), "size")
    _refused(_doc(files=[["a.mpy", 1, "AB" * 32]]), "sha256")
    _refused(_doc(files=[["a.mpy", 1, SHA], ["a.mpy", 1, SHA]]), "repeated")
    _refused(b" " * (fwmanifest.MANIFEST_MAX + 1), "over")


def test_paths_stay_inside_the_slot():
    for path in ("../boot.py", "/main.py", "lib/../../x", "a//b", "a/", "", "sp ace.mpy", "./a"):
        _refused(_doc(files=[[path, 1, SHA]]), "path")
    assert fwmanifest.parse(_doc(files=[["lib/mqtt_client.mpy", 1, SHA]]))["files"][0][0] == "lib/mqtt_client.mpy"
