"""push — sends a firmware bundle to one puck over its own cmd/ topics: offer, chunks, apply.

    Pusher(call).push(device, bundle, key) -> (ok, message)

`call(device, verb, args)` publishes cmd/<verb> (QoS 1) and returns the puck's `resp` or None when
none came in time (cli/firmware.py: Commander.send + wait_response). The steps (protocol §11):

1. `fw_offer` fw, size, mlen, mac (HMAC-SHA256 of the manifest under this puck's key). The resp's
   `have` says how much the puck already holds (a resumed download after a power cut or a lost link).
2. `fw_chunk` off, data: one chunk at a time, each acknowledged by its resp (stop and wait: the
   puck's inbox and response queue stay small); a resp with another `have` resynchronises; no
   resp at all re-offers, which resumes.
3. `fw_apply` fw, repeated while the puck says `verifying`; `ready` switches it at its next reset.

A refused offer (a session running, a copy on trial) is the puck's answer, returned to the caller,
who may retry later (`talkpuck firmware push --retry-for`).
"""
import base64
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from puckcore.protocol import FW_CHUNK_MAX

if TYPE_CHECKING:
    from talkpuck.deploy.bundle import Bundle

# (device, verb, fields) -> the puck's response, None when it did not answer (Commander.send + wait_response)
Call = Callable[[str, str, dict[str, Any]], "dict[str, Any] | None"]


class Pusher:
    chunk_bytes = FW_CHUNK_MAX
    verify_wait_s = 120.0  # the puck's verification of every file, at most
    poll_s = 0.3
    max_silences = 5  # resp-less calls in a row before giving up

    def __init__(self, call: Call, log: Callable[[str], object] | None = None) -> None:
        self.call = call
        self.log = log or (lambda msg: None)

    def push(self, device: str, bundle: "Bundle", key: bytes) -> tuple[bool, str]:
        mac = bundle.mac(key)
        offer = {"fw": bundle.fw, "size": len(bundle.data), "mlen": bundle.mlen, "mac": mac}
        silences = 0
        refusals = 0
        have = None
        while have is None or have < len(bundle.data):
            if have is None:
                r = self.call(device, "fw_offer", offer)
                if r is None:
                    silences += 1
                    if silences >= self.max_silences:
                        return False, "%s: no response to fw_offer" % device
                    continue
                if not r["ok"]:
                    return False, "%s: offer refused: %s" % (device, r.get("error"))
                have = r.get("have", 0)
                self.log("%s: offer taken, puck holds %d of %d bytes" % (device, have, len(bundle.data)))
                continue
            data = bundle.data[have:have + self.chunk_bytes]
            r = self.call(device, "fw_chunk", {"off": have, "data": base64.b64encode(data).decode()})
            if r is None:
                silences += 1
                if silences >= self.max_silences:
                    return False, "%s: no response to fw_chunk at %d" % (device, have)
                have = None  # re-offer: the puck answers where it stands
                continue
            silences = 0
            if r.get("fw_state") == "failed":
                return False, "%s: refused: %s" % (device, r.get("error"))
            if not r["ok"]:
                refusals += 1
                if refusals > self.max_silences or "have" not in r:
                    return False, "%s: chunk refused: %s" % (device, r.get("error"))
                if r.get("fw_state") != "downloading":
                    have = None  # the puck lost the offer: offer again
                    continue
            have = r.get("have", have + len(data))
        deadline = time.monotonic() + self.verify_wait_s
        while True:
            r = self.call(device, "fw_apply", {"fw": bundle.fw})
            if r is not None and r["ok"]:
                return True, "%s: %s verified and applied: the puck resets into it" % (device, bundle.fw)
            state = r.get("fw_state") if r else None
            if r is not None and state != "verifying":
                return False, "%s: apply refused: %s" % (device, r.get("error"))
            if time.monotonic() > deadline:
                return False, "%s: still verifying after %gs" % (device, self.verify_wait_s)
            time.sleep(self.poll_s)
