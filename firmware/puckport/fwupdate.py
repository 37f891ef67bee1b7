"""fwupdate — the puck's side of an update over the air: download to flash, verify, stage, confirm.

    Updater(folder, key_hex, board, clock)     folder = <storage>/fw (fwboot.py's), key from config.json

The host (talkpuck firmware push) sends, on the puck's own cmd/ topics (protocol §6.2, §11):

    fw_offer  fw, size, mlen, mac    a bundle (puckcore/fwmanifest.py) of `size` bytes whose first
                                     `mlen` are the manifest, with mac = HMAC-SHA256(key, manifest)
    fw_chunk  off, data (base64)     bytes at `off`, appended straight to dl.bin on flash
    fw_apply  fw                     boot the verified copy (as a trial) at a reset, a second later

Each `resp` to them carries `have` (bytes on flash: where the next chunk starts) and `fw_state`:

    idle --offer--> downloading --last chunk--> verifying --every hash right--> ready --apply--> (reset)
                        |  manifest MAC wrong, wrong board/version/size: failed (files discarded)
                                                   | a file's hash wrong: failed (slot cleared)

A power cut keeps dl.json (the offer) and dl.bin (the bytes so far): the next boot resumes at the
file's length, and the host's repeated offer answers with that `have`. Verification runs in this
object's task, a block at a time (the puck keeps working); it copies each file from dl.bin into the
inactive slot while hashing it, then deletes dl.bin. The running copy on trial (fwboot) is confirmed
once the puck has been online for `healthy_ms`; not healthy within `trial_ms`, it asks for a reset
(`reset_due`, app_main) and the next boot rolls back.
"""
import asyncio
import binascii
import hashlib
import json
import os

import fwboot
from puckcore import fwmanifest
from puckcore.errors import ProtocolError
from puckcore.hmac256 import equal, hmac_sha256
from puckcore.ticks import ticks_diff

IDLE = 0
DOWNLOADING = 1
VERIFYING = 2
READY = 3
FAILED = 4
STATE_NAMES = ("idle", "downloading", "verifying", "ready", "failed")


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


def _size(path):
    try:
        return os.stat(path)[6]
    except OSError:
        return -1


def _rmtree(path):
    try:
        names = os.listdir(path)
    except OSError:
        return
    for name in names:
        sub = path + "/" + name
        if os.stat(sub)[0] & 0x4000:  # a folder
            _rmtree(sub)
        else:
            os.remove(sub)
    os.rmdir(path)


class Updater:
    healthy_ms = 5000  # online this long: the copy on trial is confirmed
    trial_ms = 120000  # not healthy by then: reset, and the next boot rolls back
    reset_delay_ms = 1000  # after fw_apply: time for the resp to go out
    poll_ms = 100
    block = 512  # bytes read, hashed and written per step of the verification

    def __init__(self, folder, key_hex, board, clock):
        self.dir = folder
        self.key = binascii.unhexlify(key_hex) if key_hex else None
        self.board = board
        self.clock = clock
        slots = fwboot.load(folder)
        self.trial = bool(slots.get("pending") and slots.get("tries"))
        self.slot = slots.get("pending") if self.trial else slots.get("active")
        self.trial_fw = slots.get("pending_fw") if self.trial else None
        self.rolled_back = slots.get("rolled_back")
        self.applied = None  # the version fw_apply switched to in this boot (a reset is coming)
        self.phase = IDLE
        self.error = None
        self.have = 0
        self.offer_doc = {}  # {"fw", "size", "mlen", "mac"} of the download in progress, else empty
        self.manifest = {}  # parsed once the manifest's MAC checked out, else empty
        self.staged = None  # the slot holding the verified copy
        self.reset_due = False
        self._reset_at = None
        self._task = None
        self._resume()

    # -- paths and the saved offer ---------------------------------------------------------
    def _path(self, name):
        return self.dir + "/" + name

    def _resume(self):
        try:
            with open(self._path("dl.json")) as f:
                doc = json.load(f)
        except Exception:
            return
        if doc.get("staged") in fwboot.SLOTS:
            self.offer_doc = doc
            self.staged = doc["staged"]
            self.have = doc["size"]
            self.phase = READY
            return
        have = _size(self._path("dl.bin"))
        if have < 0 or have > doc.get("size", 0):
            self._discard()
            return
        self.offer_doc = doc
        self.have = have
        self.phase = VERIFYING if have == doc["size"] else DOWNLOADING

    def _save_offer(self):
        fwboot._mkdirs(self.dir)
        tmp = self._path("dl.json.tmp")
        with open(tmp, "w") as f:
            json.dump(self.offer_doc, f)
        os.rename(tmp, self._path("dl.json"))

    def _discard(self):
        _remove(self._path("dl.bin"))
        _remove(self._path("dl.json"))
        self.offer_doc = {}
        self.manifest = {}
        self.staged = None
        self.have = 0

    def _fail(self, error):
        self._discard()
        self.phase = FAILED
        self.error = error
        return error

    # -- what the host sees ----------------------------------------------------------------
    def info_fields(self):
        """`info`: which copy runs, whether it is on trial, the version rolled back at this boot."""
        return {"fw_slot": self.slot or "base", "fw_trial": self.trial, "fw_rollback": self.rolled_back}

    def resp_fields(self):
        return {"have": self.have, "fw_state": STATE_NAMES[self.phase]}

    # -- commands (puckcore/commands.py; each returns None or an error for `resp`) ------------
    def offer(self, fw, size, mlen, mac):
        if self.key is None:
            return "no ota_key in config.json: this puck takes no updates"
        if self.trial:
            return "busy: the running copy is on trial (confirmed after %d s online)" % (self.healthy_ms // 1000)
        if self.phase == VERIFYING:
            return "busy: verifying the last download"
        doc = {"fw": fw, "size": size, "mlen": mlen, "mac": mac}
        if self.offer_doc and self.phase in (DOWNLOADING, READY):
            same = True
            for k in doc:
                if self.offer_doc.get(k) != doc[k]:
                    same = False
            if same:
                return None  # the same bundle again (a resume): `have` says where to go on
        if mlen > size or mlen > fwmanifest.MANIFEST_MAX:
            return "mlen: the manifest must fit in the bundle and %d bytes" % fwmanifest.MANIFEST_MAX
        try:
            binascii.unhexlify(mac)
        except Exception:
            return "mac: 64 hex characters"
        self._discard()
        self.error = None
        self.offer_doc = doc
        self._save_offer()
        with open(self._path("dl.bin"), "wb"):
            pass
        self.phase = DOWNLOADING
        return None

    def chunk(self, off, data):
        if self.phase != DOWNLOADING:
            return "no download in progress (%s)" % STATE_NAMES[self.phase]
        if off != self.have:
            return "off: expected %d" % self.have
        try:
            raw = binascii.a2b_base64(data)
        except Exception:
            return "data: not base64"
        doc = self.offer_doc
        if not raw or self.have + len(raw) > doc["size"]:
            return "data: empty, or past the offered size %d" % doc["size"]
        with open(self._path("dl.bin"), "ab") as f:
            f.write(raw)
        self.have += len(raw)
        if not self.manifest and self.have >= doc["mlen"]:
            error = self._check_manifest()
            if error:
                return self._fail(error)
        if self.have == doc["size"]:
            self.phase = VERIFYING  # the task checks every file
        return None

    def apply(self, fw, now_ms):
        if self.phase != READY and (fw == self.applied or (self.trial and fw == self.trial_fw)):
            return None  # a repeated apply (its resp was lost), before or after the reset
        if self.phase != READY:
            return "not ready: %s%s" % (STATE_NAMES[self.phase], (": " + self.error) if self.error else "")
        if fw != self.offer_doc["fw"]:
            return "fw: the verified copy is %s" % self.offer_doc["fw"]
        slots = fwboot.load(self.dir)
        if self.staged == slots.get("active"):
            self._fail("stale: the staged slot is the active one")
            return self.error
        fwboot.save(self.dir, fwboot.with_pending(slots, self.staged, fw))
        _remove(self._path("dl.json"))
        self.phase = IDLE
        self.applied = fw
        self._reset_at = now_ms
        return None

    # -- checks ----------------------------------------------------------------------------
    def _check_manifest(self):
        doc = self.offer_doc
        with open(self._path("dl.bin"), "rb") as f:
            data = f.read(doc["mlen"])
        if not equal(hmac_sha256(self.key, data), binascii.unhexlify(doc["mac"])):
            return "mac: the manifest is not signed with this puck's key"
        try:
            m = fwmanifest.parse(data)
        except ProtocolError as e:
            return str(e)
        if m["fw"] != doc["fw"]:
            return "manifest.fw: %s, offered as %s" % (m["fw"], doc["fw"])
        if m["board"] != self.board:
            return "manifest.board: built for %s, this puck is %s" % (m["board"], self.board)
        if fwmanifest.total_size(m, doc["mlen"]) != doc["size"]:
            return "size: the manifest's files do not add up to %d" % doc["size"]
        self.manifest = m
        return None

    async def _verify(self):
        if not self.manifest:
            error = self._check_manifest()  # after a power cut the parsed manifest is gone
            if error:
                self._fail(error)
                return
        slot = fwboot.inactive(fwboot.load(self.dir))
        target = self._path(slot)
        _rmtree(target)
        buf = bytearray(self.block)
        mv = memoryview(buf)
        with open(self._path("dl.bin"), "rb") as src:
            src.seek(self.offer_doc["mlen"])
            for path, size, sha in self.manifest["files"]:
                full = target + "/" + path
                fwboot._mkdirs(full[:full.rfind("/")])
                h = hashlib.sha256()
                left = size
                with open(full, "wb") as out:
                    while left:
                        n = src.readinto(mv[:min(self.block, left)])
                        if not n:
                            break
                        h.update(mv[:n])
                        out.write(mv[:n])
                        left -= n
                        await asyncio.sleep(0)  # one block at a time: the puck keeps working
                if left or binascii.hexlify(h.digest()).decode() != sha:
                    _rmtree(target)
                    self._fail("%s: hash mismatch" % path)
                    return
        self.staged = slot
        self.offer_doc["staged"] = slot
        self._save_offer()
        _remove(self._path("dl.bin"))  # the bytes now live in the slot
        self.phase = READY

    # -- the task --------------------------------------------------------------------------
    def start(self, is_online):
        self._task = asyncio.create_task(self._run(is_online))

    def deinit(self):
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def confirm(self):
        fwboot.save(self.dir, fwboot.confirmed(fwboot.load(self.dir)))
        self.trial = False
        print("talkpuck: firmware in slot %s confirmed healthy" % self.slot)

    async def _run(self, is_online):
        started = self.clock.now_ms()
        online_since = None
        while True:
            if self.phase == VERIFYING:
                await self._verify()
            now = self.clock.now_ms()
            if self.trial:
                if not is_online():
                    online_since = None
                elif online_since is None:
                    online_since = now
                elif ticks_diff(now, online_since) >= self.healthy_ms:
                    self.confirm()
                if self.trial and ticks_diff(now, started) >= self.trial_ms:
                    print("talkpuck: firmware in slot %s not healthy in %d s: reset, rolling back"
                          % (self.slot, self.trial_ms // 1000))
                    self.reset_due = True
            if self._reset_at is not None and ticks_diff(now, self._reset_at) >= self.reset_delay_ms:
                self.reset_due = True
            await asyncio.sleep(self.poll_ms / 1000)
