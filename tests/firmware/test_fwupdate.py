"""fwupdate: offer, chunks to flash, MAC and hash checks, staging into the inactive slot, resume
after a power cut, apply, and the trial's confirmation."""
import asyncio
import binascii
import hashlib
import json
import os
import sys

for _p in ("firmware", "firmware/lib", "tests"):
    if _p not in sys.path:
        sys.path.append(_p)

import fwboot  # noqa: E402
from fakes.clock import FakeClock  # noqa: E402
from puckcore.hmac256 import hmac_sha256  # noqa: E402
from puckport.fwupdate import Updater  # noqa: E402

FOLDER = "build/test-fwupdate-" + sys.implementation.name + "/fw"
KEY = "11" * 32
OTHER_KEY = "22" * 32
FILES = (("app_main.mpy", b"A" * 700), ("puckcore/__init__.mpy", b"VERSION 0.2.0"), ("lib/x.mpy", b"x" * 1300))


def _rmtree(path):
    try:
        names = os.listdir(path)
    except OSError:
        return
    for n in names:
        p = path + "/" + n
        if os.stat(p)[0] & 0x4000:
            _rmtree(p)
        else:
            os.remove(p)
    os.rmdir(path)


def _fresh():
    _rmtree(FOLDER)
    return Updater(FOLDER, KEY, "unix", FakeClock())


def _bundle(files=FILES, board="unix", fw="0.2.0", corrupt=None):
    entries = []
    for name, data in files:
        entries.append([name, len(data), binascii.hexlify(hashlib.sha256(data).digest()).decode()])
    manifest = json.dumps({"fw": fw, "board": board, "files": entries}).encode()
    body = b""
    for name, data in files:
        body += data if name != corrupt else data[:-1] + b"?"
    return manifest, manifest + body


def _offer(u, manifest, data, key=KEY, fw="0.2.0"):
    mac = binascii.hexlify(hmac_sha256(binascii.unhexlify(key), manifest)).decode()
    return u.offer(fw, len(data), len(manifest), mac)


def _send(u, data, start=0, stop=None, step=500):
    stop = len(data) if stop is None else stop
    off = start
    while off < stop:
        part = data[off:min(off + step, stop)]
        err = u.chunk(off, binascii.b2a_base64(part).decode().strip())
        if err:
            return err
        off += len(part)
    return None


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def test_good_update_is_staged_in_the_inactive_slot_and_applied():
    u = _fresh()
    manifest, data = _bundle()
    assert _offer(u, manifest, data) is None
    assert u.resp_fields() == {"have": 0, "fw_state": "downloading"}
    assert _send(u, data) is None
    assert u.resp_fields() == {"have": len(data), "fw_state": "verifying"}
    assert u.apply("0.2.0", 0).startswith("not ready: verifying")
    asyncio.run(u._verify())
    assert u.resp_fields()["fw_state"] == "ready" and u.staged == "a"
    for name, content in FILES:
        assert _read(FOLDER + "/a/" + name) == content
    assert "dl.bin" not in os.listdir(FOLDER)  # the bytes live in the slot now
    assert u.apply("0.1.9", 0) == "fw: the verified copy is 0.2.0"
    assert u.apply("0.2.0", 0) is None
    assert u.apply("0.2.0", 0) is None  # repeated (its resp was lost): still fine
    assert u.apply("0.2.1", 0).startswith("not ready: idle")
    st = fwboot.load(FOLDER)
    assert st["pending"] == "a" and st["pending_fw"] == "0.2.0" and st["tries"] == 0


def test_corrupted_file_is_refused_and_nothing_switches():
    u = _fresh()
    manifest, data = _bundle(corrupt="lib/x.mpy")
    _offer(u, manifest, data)
    assert _send(u, data) is None
    asyncio.run(u._verify())
    assert u.resp_fields()["fw_state"] == "failed" and u.error == "lib/x.mpy: hash mismatch"
    assert "a" not in os.listdir(FOLDER) and "dl.bin" not in os.listdir(FOLDER)
    assert u.apply("0.2.0", 0) == "not ready: failed: lib/x.mpy: hash mismatch"
    assert fwboot.load(FOLDER)["pending"] is None


def test_wrong_key_is_refused_as_soon_as_the_manifest_is_in():
    u = _fresh()
    manifest, data = _bundle()
    _offer(u, manifest, data, key=OTHER_KEY)
    err = _send(u, data)
    assert err == "mac: the manifest is not signed with this puck's key"
    assert u.have == 0 and u.resp_fields()["fw_state"] == "failed"
    assert "dl.bin" not in os.listdir(FOLDER)


def test_manifest_for_another_board_or_version_is_refused():
    u = _fresh()
    manifest, data = _bundle(board="esp32s3-devkit")
    _offer(u, manifest, data)
    assert _send(u, data) == "manifest.board: built for esp32s3-devkit, this puck is unix"
    manifest, data = _bundle(fw="0.3.0")
    _offer(u, manifest, data, fw="0.2.0")
    assert _send(u, data) == "manifest.fw: 0.3.0, offered as 0.2.0"


def test_chunks_must_follow_on_and_fit():
    u = _fresh()
    manifest, data = _bundle()
    assert u.chunk(0, "QUFB") == "no download in progress (idle)"
    _offer(u, manifest, data)
    assert u.chunk(5, "QUFB") == "off: expected 0"
    assert u.chunk(0, "QUF") == "data: not base64"
    assert _send(u, data, 0, 100) is None
    assert u.chunk(100, binascii.b2a_base64(bytes(len(data))).decode()).startswith("data: empty, or past")
    assert u.have == 100


def test_power_cut_mid_download_resumes_where_the_flash_file_ends():
    u = _fresh()
    manifest, data = _bundle()
    _offer(u, manifest, data)
    assert _send(u, data, 0, 1200) is None
    u2 = Updater(FOLDER, KEY, "unix", FakeClock())  # the next boot
    assert u2.resp_fields() == {"have": 1200, "fw_state": "downloading"}
    assert _offer(u2, manifest, data) is None and u2.have == 1200  # the host's repeated offer: resume
    assert _send(u2, data, 1200) is None
    asyncio.run(u2._verify())
    assert u2.resp_fields()["fw_state"] == "ready"
    u3 = Updater(FOLDER, KEY, "unix", FakeClock())  # a reboot after verification: still ready
    assert u3.resp_fields()["fw_state"] == "ready" and u3.apply("0.2.0", 0) is None


def test_a_new_offer_replaces_an_unfinished_one():
    u = _fresh()
    manifest, data = _bundle()
    _offer(u, manifest, data)
    _send(u, data, 0, 600)
    manifest2, data2 = _bundle(fw="0.2.1")
    assert _offer(u, manifest2, data2, fw="0.2.1") is None and u.have == 0


def test_no_key_no_updates():
    _rmtree(FOLDER)
    u = Updater(FOLDER, None, "unix", FakeClock())
    assert u.offer("0.2.0", 10, 5, "00" * 32).startswith("no ota_key")


def test_trial_is_confirmed_after_being_online_long_enough():
    _rmtree(FOLDER)
    fwboot.save(FOLDER, fwboot.with_pending(fwboot.empty(), "a", "0.2.0"))
    fwboot.choose  # (the boot: tries := 1)
    st, slot, trial = fwboot.choose(fwboot.load(FOLDER))
    fwboot.save(FOLDER, st)
    clock = FakeClock()
    u = Updater(FOLDER, KEY, "unix", clock)
    assert u.info_fields() == {"fw_slot": "a", "fw_trial": True, "fw_rollback": None}
    assert u.offer("0.3.0", 10, 5, "00" * 32).startswith("busy: the running copy is on trial")
    assert u.apply("0.2.0", 0) is None  # the apply repeated after the reset: it is running
    assert u.apply("0.3.0", 0).startswith("not ready")
    u.healthy_ms = 300
    u.poll_ms = 10
    online = [False]

    async def main():
        u.start(lambda: online[0])
        await asyncio.sleep(0.05)
        clock.advance(1000)
        await asyncio.sleep(0.05)
        assert u.trial  # not online: not confirmed
        online[0] = True
        await asyncio.sleep(0.05)
        clock.advance(400)
        await asyncio.sleep(0.05)
        u.deinit()

    asyncio.run(main())
    assert not u.trial and not u.reset_due
    assert fwboot.load(FOLDER)["active"] == "a"


def test_trial_not_healthy_in_time_asks_for_a_reset():
    _rmtree(FOLDER)
    st, slot, trial = fwboot.choose(fwboot.with_pending(fwboot.empty(), "b", "0.2.0"))
    fwboot.save(FOLDER, st)
    clock = FakeClock()
    u = Updater(FOLDER, KEY, "unix", clock)
    u.poll_ms = 10

    async def main():
        u.start(lambda: False)
        await asyncio.sleep(0.03)
        clock.advance(u.trial_ms + 1)
        await asyncio.sleep(0.05)
        u.deinit()

    asyncio.run(main())
    assert u.reset_due and u.trial
    assert fwboot.choose(fwboot.load(FOLDER))[1] == ""  # the next boot rolls back
