"""bundle — a firmware update bundle: the manifest and the .mpy files of a build, and its per-device MAC.

    write_bundle(build_dir, files, board, version)   -> bundle.bin + bundle.json in build_dir
    Bundle.load(build_dir)                           the bundle to push (data, mlen, fw, board)
    Bundle.mac(key)                                  HMAC-SHA256 of the manifest under one puck's key

bundle.bin is the manifest (JSON: fw, board, files as [path, size, sha256 hex]) followed by the
files in its order (firmware/puckcore/fwmanifest.py reads it on the puck). Only the manifest is
MACed: it fixes every file's size and hash. Each puck has its own key (`talkpuck device add`), so
the MAC is made per device at push time; a key taken from one puck signs nothing for another.
"""
import hashlib
import hmac
import json
from collections.abc import Iterable
import os

from talkpuck.errors import ConfigError

BIN = "bundle.bin"
META = "bundle.json"


def manifest_bytes(build_dir: str, files: Iterable[str], board: str, version: str) -> bytes:
    entries = []
    for name in files:
        with open(os.path.join(build_dir, name), "rb") as f:
            data = f.read()
        entries.append([name, len(data), hashlib.sha256(data).hexdigest()])
    return json.dumps({"fw": version, "board": board, "files": entries}, separators=(",", ":")).encode()


def write_bundle(build_dir: str, files: Iterable[str], board: str, version: str) -> str:
    """Write bundle.bin and bundle.json for `files` (paths relative to build_dir); returns bundle.bin's path."""
    names = sorted(files)
    manifest = manifest_bytes(build_dir, names, board, version)
    path = os.path.join(build_dir, BIN)
    with open(path, "wb") as out:
        out.write(manifest)
        for name in names:
            with open(os.path.join(build_dir, name), "rb") as f:
                out.write(f.read())
    meta = {"fw": version, "board": board, "mlen": len(manifest), "size": os.path.getsize(path),
            "sha256": _sha_file(path)}
    with open(os.path.join(build_dir, META), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1)
    return path


def _sha_file(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Bundle:
    def __init__(self, data: bytes, mlen: int, fw: str, board: str) -> None:
        self.data = data
        self.mlen = mlen
        self.fw = fw
        self.board = board

    @classmethod
    def load(cls, build_dir: str) -> "Bundle":
        """The bundle of a `talkpuck build` output folder; ConfigError when missing or not matching."""
        try:
            with open(os.path.join(build_dir, META), encoding="utf-8") as f:
                meta = json.load(f)
            with open(os.path.join(build_dir, BIN), "rb") as f:
                data = f.read()
        except (OSError, ValueError) as e:
            raise ConfigError("bundle: %s has no readable bundle (run `talkpuck build`): %s" % (build_dir, e))
        if len(data) != meta["size"] or hashlib.sha256(data).hexdigest() != meta["sha256"]:
            raise ConfigError("bundle: %s does not match its bundle.json (rebuild it)" % build_dir)
        return cls(data, meta["mlen"], meta["fw"], meta["board"])

    @property
    def manifest(self) -> bytes:
        return self.data[:self.mlen]

    def mac(self, key: bytes) -> str:
        return hmac.new(key, self.manifest, hashlib.sha256).hexdigest()
