"""Host wiring by types, return values and hooks (issue 11 item 5), not by message text or patches."""
import argparse
import asyncio
import json
import socket

import pytest

from fakes.hal import FakeHal
from puckcore.puck import Puck
from talkpuck.api.server import WebServer
from talkpuck.commands.sessions import SessionControl
from talkpuck.errors import ListenError, NotFound, TalkpuckError
from talkpuck.mqtt.broker import Broker
from talkpuck.mqtt.link import MqttLink, PahoLink

DEV = "puck-t1"
SIM_TOPIC = "talkpuck/v1/%s/sim/button" % DEV


def test_puck_on_message_hook_takes_its_topics_and_passes_the_rest():
    hal = FakeHal()
    puck = Puck.from_storage(hal, DEV)
    taken = []
    puck.on_message = lambda topic, payload: topic == SIM_TOPIC and (taken.append(bytes(payload)) or True)
    cmd = {"id": "c1", "ts": 1795258800000, "ttl_s": 30}

    async def main():
        puck.start()
        try:
            await hal.run_for_ms(500)
            hal.link.inject(SIM_TOPIC, b"double")
            hal.link.inject("talkpuck/v1/%s/cmd/identify" % DEV, json.dumps(cmd).encode())
            await hal.run_for_ms(500)
        finally:
            puck.deinit()

    asyncio.run(main())
    assert taken == [b"double"]
    assert puck.rejected == 0  # the sim topic never reached the command decoder
    assert [json.loads(p[1])["id"] for p in hal.link.topics("/resp")] == ["c1"]


def test_without_the_hook_an_unknown_topic_is_rejected_and_counted():
    hal = FakeHal()
    puck = Puck.from_storage(hal, DEV)
    puck.handle_message(SIM_TOPIC, b"double", 0)
    assert puck.rejected == 1


class _Store:
    def request_session(self, *args):
        self.requested = args


class _Commander:
    def clock(self):
        return 1795258800000

    def send(self, device, verb, args, ttl_s):
        self.sent = (device, verb)
        return "h1-7"


def test_session_request_returns_the_command_it_sent():
    ctl = SessionControl(_Store(), _Commander())
    sid, cmd_id = ctl.request("puck-a1", 600, 60, "retro")
    assert cmd_id == "h1-7" and sid.startswith("s-")
    assert ctl.commander.sent == ("puck-a1", "session_start")
    assert ctl.start("puck-a1", 600).startswith("s-")


def test_errors_are_types():
    assert issubclass(NotFound, TalkpuckError) and issubclass(ListenError, TalkpuckError)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        with pytest.raises(ListenError):
            WebServer(None, "127.0.0.1", s.getsockname()[1]).start()


def test_serve_moves_to_a_free_port_on_listen_error(mosquitto, tmp_path):
    from talkpuck.cli.serve import start_host

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        taken = s.getsockname()[1]
        args = argparse.Namespace(broker=mosquitto.url, db=None, data_dir=str(tmp_path), http_port=taken)
        host, broker = start_host(args)
        try:
            assert broker is None
            assert not host.http_url.endswith(":%d" % taken)
        finally:
            host.stop()


def test_links_keep_the_user_and_password_of_the_url():
    link = MqttLink("mqtt://ops:s3cret@127.0.0.1:1", "talkpuck-test")
    assert (link.host, link.port) == ("127.0.0.1", 1)
    assert link._client._username == b"ops" and link._client._password == b"s3cret"
    sim = PahoLink("mqtt://puck-a1:pw@127.0.0.1:1884", "puck-a1")
    assert (sim.host, sim.port, sim.password) == ("127.0.0.1", 1884, "pw")
    b = Broker.start(url="mqtt://ops:s3cret@broker.example:1999")
    assert (b.host, b.port, b.url) == ("broker.example", 1999, "mqtt://ops:s3cret@broker.example:1999")
