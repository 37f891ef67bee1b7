"""uplink — the puck's MQTT side: the link task (connect, publish) and the rx task (commands -> responses).

Owned by puckcore.puck.Puck, which starts `link()` and `rx()` as tasks and cancels them in deinit().

    link    connect, birth/info/subscribe, then retained state, outbox (QoS 1, acked), responses, tele;
            between sends it waits on the puck's one Event (`wake`) that the outbox, the responses
            queue and the controller's state flag set, instead of polling; every link fault is an
            OSError feeding one reconnect path with a doubling backoff
    rx      commands -> codec -> (time sync | controller) -> response; retained commands are
            dropped (counted), bad input is counted in `rejected`, never fatal

The counters here (`rejected`, `retained_dropped`, `responses.dropped`, `link_error`) leave the puck
in `tele` (puckcore.tele); the Puck exposes them under the same names.
"""
from puckcore import codec
from puckcore.errors import ProtocolError
from puckcore.ringqueue import RingQueue
from puckcore.ticks import ticks_diff
from puckcore.watchdog import W_LINK


class Uplink:
    tele_ms = 30000
    reconnect_min_ms = 500
    reconnect_max_ms = 30000
    responses_max = 8

    def __init__(self, puck):
        self.puck = puck  # the owner: hal, root, boot, device, ctrl, outbox, wake, watch, on_message
        self.hal = puck.hal
        self.rejected = 0
        self.retained_dropped = 0  # retained commands ignored (also counted in `rejected`, which tele carries)
        self.last_error = None  # the last exception a command raised in the rx task
        self.link_error = None  # the last link fault the link task saw (tele.link_error)
        self.online = False  # connected and subscribed to commands
        self.host_sync = None  # (host Unix ms, ticks) from the last cmd/time
        self.responses = RingQueue(self.responses_max, puck.wake)  # encoded `resp` documents
        self.last_tele = None

    # -- link task ------------------------------------------------------------------
    async def link(self):
        puck = self.puck
        link = self.hal.link
        backoff = self.reconnect_min_ms
        watch = puck.watch
        while True:
            watch.checkin(W_LINK, self.hal.clock.now_ms())  # a connect must end within its limit
            try:
                await link.connect(puck.root + "status", b"offline")
                await self._on_connect(link)
                backoff = self.reconnect_min_ms
                while True:
                    watch.checkin(W_LINK, self.hal.clock.now_ms())
                    if not link.up:  # dropped in the background: notice now, not at the next publish
                        raise OSError("MQTT link down")
                    if self._has_pending():  # checked without a coroutine call
                        await self._send_pending(link)
                    else:
                        puck.wake.clear()  # nothing can be added between the check and the wait
                        watch.idle(W_LINK)  # waiting for work is not wedged
                        await puck.wake.wait()
            except OSError as e:
                # one reconnect path for every link fault; the puck keeps time meanwhile
                self.link_error = e
                # the broker may have died before saving what it acked last: send that again
                puck.outbox.rewind(self.hal.clock.now_ms())
                puck.ctrl.connected = False
                self.online = False
                watch.idle(W_LINK)  # an outage is not wedged: the backoff sleep cannot hang
                await self.hal.sleep_ms(backoff)
                backoff = min(backoff * 2, self.reconnect_max_ms)

    async def _on_connect(self, link):
        puck = self.puck
        root = puck.root
        now = self.hal.clock.now_ms()
        await link.publish(root + "status", b"online", 1, True)
        await link.publish(root + "info", codec.encode_doc(puck.boot, now, puck.info_fields()), 1, True)
        await link.subscribe(root + "cmd/#", 1)
        await link.subscribe(codec.ROOT + codec.GROUP + "/cmd/#", 1)
        puck.ctrl.connected = True
        puck.ctrl.state_flag.set()
        self.last_tele = None
        self.online = True

    def tele_due(self, now):
        return self.last_tele is None or ticks_diff(now, self.last_tele) >= self.tele_ms

    def _has_pending(self):
        puck = self.puck
        if puck.ctrl.state_dirty or len(self.responses) or len(puck.outbox):
            return True
        return self.tele_due(self.hal.clock.now_ms())

    async def _send_pending(self, link):
        puck = self.puck
        root = puck.root
        ctrl = puck.ctrl
        if ctrl.state_dirty:
            ctrl.state_flag.clear()
            now = self.hal.clock.now_ms()
            await link.publish(root + "state", codec.encode_doc(puck.boot, now, ctrl.state_fields(now)), 1, True)
        resp = self.responses
        while True:
            doc = resp.peek()
            if doc is None:
                break
            await link.publish(root + "resp", doc, 1, False)
            if resp.peek() is doc:  # (unless a burst pushed it out meanwhile)
                resp.get_nowait()
        outbox = puck.outbox
        sent = 0
        while sent < 16:  # bounded, so state and responses are not starved by a long backlog
            item = outbox.peek()
            if item is None:
                break
            seq, kind, payload = item
            await link.publish(root + "evt/" + kind, payload, 1, False)
            outbox.ack(seq, self.hal.clock.now_ms())
            sent += 1
        now = self.hal.clock.now_ms()
        if self.tele_due(now):
            self.last_tele = now
            await link.publish(root + "tele", codec.encode_doc(puck.boot, now, puck.tele_fields(now)), 0, False)

    # -- rx task --------------------------------------------------------------------
    async def rx(self):
        link = self.hal.link
        puck = self.puck
        while True:
            msg = await link.recv()
            if self.drop_retained(msg):
                continue
            topic, payload = msg[0], msg[1]
            try:
                if puck.on_message is None or not puck.on_message(topic, payload):
                    self.handle_message(topic, payload, self.hal.clock.now_ms())
            except Exception as e:  # never let one message stop the command task
                self.rejected += 1
                self.last_error = repr(e)

    def drop_retained(self, msg):
        """True (and counted) when `msg` = (topic, payload[, retained]) is a retained command.

        Mosquitto's ACL cannot see the retain flag, so anyone allowed to command could leave a
        retained command that every puck connecting later would obey: a puck takes commands only
        as they are sent (the host never retains one and clears any it finds)."""
        if len(msg) > 2 and msg[2]:
            self.retained_dropped += 1
            self.rejected += 1
            return True
        return False

    def handle_message(self, topic, payload, now):
        """One incoming command: check it, run it, queue the response. Bad input is counted, never fatal."""
        try:
            verb, args = codec.decode_command(topic, payload, self.puck.device)
        except ProtocolError as e:
            self.rejected += 1
            cid = _id_of(payload)
            if cid:
                self.respond(cid, topic.split("/")[-1], str(e), now)
            return
        if codec.expired(args, self.host_sync, now):
            self.respond(args["id"], verb, "expired", now)
            return
        if verb == "time":
            self.host_sync = (args["now_ms"], now)
            error = None
        else:
            try:
                error = self.puck.ctrl.on_command(verb, args, now)
            except Exception as e:  # a controller bug must not stop the puck: report it
                error = "internal: %r" % (e,)
        if error:
            self.rejected += 1
        self.respond(args["id"], verb, error, now)

    def respond(self, cid, verb, error, now):
        """Queue a `resp` document; a full queue drops the oldest (counted in responses.dropped)."""
        fw = self.puck.ctrl.fw
        fields = {"id": cid, "verb": verb, "ok": error is None, "error": error}
        if verb[:3] == "fw_" and fw is not None:
            fields.update(fw.resp_fields())  # have, fw_state: where the download stands
        self.responses.put(codec.encode_doc(self.puck.boot, now, fields))


def _id_of(payload):
    """The command id of a payload that failed checks, if one can be read: to answer it."""
    try:
        import json

        doc = json.loads(payload)
        cid = doc.get("id") if type(doc) is dict else None
        return cid if type(cid) is str and cid else None
    except Exception:
        return None
