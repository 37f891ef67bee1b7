"""Pusher (deploy/push.py) against the puck's real updater and command handlers, in process: lost
responses re-offer and resume, a duplicated chunk resynchronises, a refusal is returned; and the
CLI's mistakes are clear errors."""
import asyncio
import json
import os

from talkpuck.cli import main
from talkpuck.deploy.bundle import Bundle, write_bundle
from talkpuck.deploy.push import Pusher

import fwboot  # firmware/ is on the path (tests/conftest.py)
from puckcore.controller import Controller
from puckcore.outbox import Outbox
from puckcore.settings import Settings
from puckport.fwupdate import Updater

KEY = bytes(range(32))


def _bundle(tmp_path):
    for name, data in (("app_main.mpy", b"A" * 3000), ("puckcore/codec.mpy", b"C" * 2500)):
        path = tmp_path / "build" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    write_bundle(str(tmp_path / "build"), ["app_main.mpy", "puckcore/codec.mpy"], "unix", "0.2.0")
    return Bundle.load(str(tmp_path / "build"))


class Puck:
    """The puck's command path: Controller.on_command -> handlers -> Updater; answers like `resp`."""

    def __init__(self, tmp_path, lose_every=0, repeat_every=0):
        self.ctrl = Controller("puck-a1", "7f3a9c2e", Settings(), Outbox("7f3a9c2e"))
        self.fw = Updater(str(tmp_path / "store" / "fw"), KEY.hex(), "unix", None)
        self.ctrl.fw = self.fw
        self.n = 0
        self.lose_every = lose_every
        self.repeat_every = repeat_every
        self.seen = []

    def call(self, device, verb, args):
        self.n += 1
        self.seen.append((verb, args.get("off")))
        error = self.ctrl.on_command(verb, args, 0)
        if self.repeat_every and self.n % self.repeat_every == 0 and verb == "fw_chunk":
            error = self.ctrl.on_command(verb, args, 0)  # QoS 1 delivered it twice: the second is refused
        if self.fw.phase == 2:  # verifying: the updater's task would run it
            asyncio.run(self.fw._verify())
        if self.lose_every and self.n % self.lose_every == 0:
            return None  # the response was lost
        return dict({"ok": error is None, "error": error}, **self.fw.resp_fields())


def test_push_survives_lost_responses_and_duplicates(tmp_path):
    b = _bundle(tmp_path)
    puck = Puck(tmp_path, lose_every=3, repeat_every=4)
    p = Pusher(puck.call)
    p.chunk_bytes = 700
    ok, msg = p.push("puck-a1", b, KEY)
    assert ok, msg
    assert fwboot.load(str(tmp_path / "store" / "fw"))["pending_fw"] == "0.2.0"
    assert (tmp_path / "store" / "fw" / "a" / "puckcore" / "codec.mpy").read_bytes() == b"C" * 2500
    assert [v for v, _ in puck.seen].count("fw_offer") > 1  # lost answers were resumed by offering again


def test_push_returns_the_pucks_refusal(tmp_path):
    b = _bundle(tmp_path)
    puck = Puck(tmp_path)
    ok, msg = Pusher(puck.call).push("puck-a1", b, bytes(32))
    assert not ok and "not signed with this puck's key" in msg
    puck.ctrl.on_command("session_start", {"limit_s": 60}, 0)
    ok, msg = Pusher(puck.call).push("puck-a1", b, KEY)
    assert not ok and msg == "puck-a1: offer refused: session running: offer the update after it ends"


def test_cli_push_without_a_bundle_is_a_clear_error(tmp_path, capsys):
    assert main(["firmware", "push", "--bundle", str(tmp_path), "--device", "puck-a1"]) == 2
    assert "bundle: %s has no readable bundle" % tmp_path in capsys.readouterr().err
    bad = tmp_path / "b"
    bad.mkdir()
    (bad / "bundle.bin").write_bytes(b"x")
    (bad / "bundle.json").write_text(json.dumps({"fw": "1", "board": "unix", "mlen": 1, "size": 2, "sha256": "0"}))
    assert main(["firmware", "push", "--bundle", str(bad), "--all"]) == 2
    assert "does not match its bundle.json" in capsys.readouterr().err
    assert os.listdir(str(tmp_path)) == ["b"]
