"""fwmanifest — checks a firmware bundle's manifest: version, board, and each file's path, size, hash.

A bundle (`talkpuck build`, host/talkpuck/deploy/bundle.py) is one byte string:

    manifest (UTF-8 JSON, `mlen` bytes) + file 1 + file 2 + ...   (the files in manifest order)

    manifest = {"fw": "0.2.0", "board": "esp32s3-devkit",
                "files": [["puckcore/codec.mpy", 4180, "<sha256 hex>"], ...]}

The host authenticates the manifest bytes with HMAC-SHA256 under the puck's key (puckcore/hmac256);
the manifest in turn fixes every file's size and SHA-256, so one MAC covers the whole bundle.
`parse` raises ProtocolError naming the key; paths are relative, of [A-Za-z0-9_.-/], no `..`.
"""
import json

from puckcore.errors import ProtocolError
from puckcore.protocol import FW_MANIFEST_MAX, FW_VERSION_MAX

FILES_MAX = 128
PATH_MAX = 64
FILE_MAX = 256 * 1024  # bytes of one file
MANIFEST_MAX = FW_MANIFEST_MAX  # bytes of the manifest
VERSION_MAX = FW_VERSION_MAX


def _path_ok(path):
    if not 1 <= len(path) <= PATH_MAX or path[0] == "/" or path[-1] == "/":
        return False
    for part in path.split("/"):
        if not part or part == "." or part == "..":
            return False
    for ch in path:
        if not ("a" <= ch <= "z" or "A" <= ch <= "Z" or "0" <= ch <= "9" or ch in "_.-/"):
            return False
    return True


def _hex64(s):
    if type(s) is not str or len(s) != 64:
        return False
    for ch in s:
        if not ("0" <= ch <= "9" or "a" <= ch <= "f"):
            return False
    return True


def parse(data):
    """The manifest dict {"fw", "board", "files": [(path, size, sha hex)]} from its bytes, checked."""
    if len(data) > MANIFEST_MAX:
        raise ProtocolError("manifest: over %d bytes" % MANIFEST_MAX)
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeError):
        raise ProtocolError("manifest: not JSON")
    if type(doc) is not dict:
        raise ProtocolError("manifest: not an object")
    fw = doc.get("fw")
    if type(fw) is not str or not 1 <= len(fw) <= VERSION_MAX:
        raise ProtocolError("manifest.fw: a version of 1-%d characters" % VERSION_MAX)
    board = doc.get("board")
    if type(board) is not str or not board:
        raise ProtocolError("manifest.board: a board name")
    files = doc.get("files")
    if type(files) is not list or not 1 <= len(files) <= FILES_MAX:
        raise ProtocolError("manifest.files: a list of 1-%d files" % FILES_MAX)
    out = []
    seen = {}
    for i in range(len(files)):
        f = files[i]
        if type(f) is not list or len(f) != 3:
            raise ProtocolError("manifest.files[%d]: [path, size, sha256]" % i)
        path, size, sha = f
        if type(path) is not str or not _path_ok(path) or path in seen:
            raise ProtocolError("manifest.files[%d]: bad or repeated path %r" % (i, path))
        if type(size) is not int or not 0 <= size <= FILE_MAX:
            raise ProtocolError("manifest.files[%d]: size 0-%d" % (i, FILE_MAX))
        if not _hex64(sha):
            raise ProtocolError("manifest.files[%d]: sha256 as 64 lowercase hex" % i)
        seen[path] = True
        out.append((path, size, sha))
    return {"fw": fw, "board": board, "files": out}


def total_size(manifest, mlen):
    """Bytes of the whole bundle the manifest describes (manifest included)."""
    n = mlen
    for f in manifest["files"]:
        n += f[1]
    return n
