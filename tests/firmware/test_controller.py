"""Controller: commands, gestures, detector input, state fields, events, persistence, render."""
from puckcore.controller import Controller
from puckcore.gestures import DOUBLE, LONG, PRESS, START
from puckcore.settings import Settings
from fakes.clock import FakeClock
from fakes.outbox import FakeOutbox


def _new(first_seq=1, **settings):
    ob = FakeOutbox(first_seq)
    c = Controller("puck-a1", "7f3a9c2e", Settings(settings), ob)
    return c, ob, FakeClock()


def test_interface_flags_at_boot():
    c, ob, clk = _new()
    assert c.mic_paused is False and c.connected is True
    assert c.state_dirty is True and c.persist_dirty is False
    assert c.leds == 24
    f = c.state_fields(clk.now_ms())
    assert f == {"phase": "idle", "session": None, "limit_s": 0, "remaining_s": 0, "talking": False,
                 "voice": 0, "hands": 0, "hand_ack": 0, "mic": "on"}


def test_session_commands_and_events():
    c, ob, clk = _new()
    c.state_flag.clear()
    assert c.on_command("session_start", {"id": "c-2", "ts": 1, "ttl_s": 30, "session": "s-1", "limit_s": 1800,
                                          "warn_s": 300, "purpose": "Family call"}, clk.now_ms()) is None
    ev = ob.last("session")
    assert ev == {"phase": "running", "session": "s-1", "limit_s": 1800, "warn_s": 300, "remaining_s": 1800,
                  "cause": "cmd"}
    assert c.state_dirty and c.persist_dirty
    assert c.on_command("session_start", {"session": "s-1", "limit_s": 1800}, clk.now_ms()) is None  # redelivery
    assert c.on_command("session_start", {"session": "s-2", "limit_s": 60}, clk.now_ms()) == "session already running"
    assert len(ob.of("session")) == 1
    clk.advance(1500000)
    c.tick(clk.now_ms())
    assert ob.last("session")["phase"] == "warning" and ob.last("session")["cause"] == "timer"
    assert c.state_fields(clk.now_ms())["remaining_s"] == 300
    assert c.on_command("session_extend", {"add_s": 600}, clk.now_ms()) is None
    assert ob.last("session")["phase"] == "running" and ob.last("session")["limit_s"] == 2400
    assert c.on_command("session_stop", {}, clk.now_ms()) is None
    assert ob.last("session")["phase"] == "ended"
    assert c.on_command("session_stop", {}, clk.now_ms()) == "no session running"
    assert c.on_command("session_extend", {"add_s": 60}, clk.now_ms()) == "no session running"
    assert c.on_command("nope", {}, clk.now_ms()) == "unknown verb nope"


def test_host_start_without_id_gets_a_puck_id():
    c, ob, clk = _new(first_seq=4)
    c.on_command("session_start", {"limit_s": 60}, clk.now_ms())
    assert ob.events[0][0] == 4 and ob.events[0][2]["session"] == "puck-a1:7f3a9c2e:4"
    assert ob.events[1][2]["phase"] == "wrapup"  # 60 s is inside the wrap-up time


def test_start_gesture_names_session_after_its_seq():
    c, ob, clk = _new(first_seq=4, default_session_s=2700)
    c.on_gesture(START, clk.now_ms())
    seq, kind, fields, _ = ob.events[0]
    assert kind == "session" and seq == 4
    assert fields == {"phase": "running", "session": "puck-a1:7f3a9c2e:4", "limit_s": 2700, "warn_s": 300,
                      "remaining_s": 2700, "cause": "button"}
    c.on_gesture(START, clk.now_ms())  # during a session: nothing
    assert len(ob.events) == 1


def test_hands_raise_withdraw_ack_lower_clear():
    c, ob, clk = _new(first_seq=19, max_hands=3)
    c.on_gesture(PRESS, clk.now_ms())
    assert ob.events[-1][:3] == (19, "hand", {"action": "raise", "hand": 19, "waiting": 1})
    c.on_gesture(PRESS, clk.now_ms())
    c.on_gesture(PRESS, clk.now_ms())
    c.on_gesture(PRESS, clk.now_ms())  # full: nothing
    assert c.state_fields(clk.now_ms())["hands"] == 3 and len(ob.events) == 3
    c.on_gesture(DOUBLE, clk.now_ms())
    assert ob.last("hand") == {"action": "withdraw", "hand": 21, "waiting": 2}
    assert c.on_command("hand_ack", {"hand": 19}, clk.now_ms()) is None
    assert ob.last("hand") == {"action": "ack", "hand": 19, "waiting": 1}
    assert c.state_fields(clk.now_ms())["hand_ack"] == 19
    assert c.on_command("hand_ack", {"hand": 19}, clk.now_ms()) == "unknown hand 19"
    assert c.on_command("hand_lower", {"hand": 7}, clk.now_ms()) == "unknown hand 7"
    assert c.on_command("hand_lower", {"hand": 20}, clk.now_ms()) is None
    assert ob.last("hand") == {"action": "lower", "hand": 20, "waiting": 0}
    c.on_gesture(PRESS, clk.now_ms())
    assert c.on_command("hands_clear", {}, clk.now_ms()) is None
    assert ob.last("hand") == {"action": "clear", "hand": 0, "waiting": 0}


def test_long_press_pauses_the_mic():
    c, ob, clk = _new()
    c.set_talking(True, 2, clk.now_ms())
    c.on_gesture(LONG, clk.now_ms())
    assert c.mic_paused and ob.last("mic") == {"mic": "paused"}
    f = c.state_fields(clk.now_ms())
    assert f["mic"] == "paused" and f["talking"] is False
    c.on_gesture(LONG, clk.now_ms())
    assert not c.mic_paused and ob.last("mic") == {"mic": "on"}


def test_turns_summaries_and_talking():
    c, ob, clk = _new()
    c.on_turn(1000, 4000, 2, 80, -30, 4100)
    assert ob.last("turn") == {"start_ms": 1000, "end_ms": 4000, "voice": 2, "conf": 80, "level_db": -30}
    assert c.view.voice_ms[2] == 3000
    c.on_turn(4000, 5000, 1, 70, -31, 5100, 1)    # the next piece of the same turn: a voice change, no pause
    assert ob.last("turn") == {"start_ms": 4000, "end_ms": 5000, "voice": 1, "conf": 70, "level_db": -31, "cont": True}
    c.on_summary(0, 60000, 20000, 5, -31, -60, 60000)
    assert ob.last("vad") == {"from_ms": 0, "to_ms": 60000, "speech_ms": 20000, "turns": 5, "level_db": -31,
                              "noise_db": -60}
    c.state_flag.clear()
    c.set_talking(True, 1, 100)
    assert c.state_dirty
    c.state_flag.clear()
    c.set_talking(True, 1, 200)
    assert not c.state_dirty


def test_state_refreshed_every_10_s_in_a_session():
    c, ob, clk = _new()
    c.on_command("session_start", {"session": "s", "limit_s": 3600}, clk.now_ms())
    c.state_flag.clear()
    clk.advance(9000)
    c.tick(clk.now_ms())
    assert not c.state_dirty
    clk.advance(1000)
    c.tick(clk.now_ms())
    assert c.state_dirty


def test_config_persists_and_rejects():
    c, ob, clk = _new()
    assert c.on_command("config", {"id": "c-10", "ts": 1, "ttl_s": 30, "brightness": 96, "night": True,
                                   "room": "Family room", "future_field": 1}, clk.now_ms()) is None
    assert c.settings.brightness == 96 and c.persist_dirty
    c.persist_flag.clear()
    assert c.on_command("config", {"brightness": 300}, clk.now_ms()) == "brightness: must be 0..255"
    assert c.settings.brightness == 96 and not c.persist_dirty


def test_identify_and_ring_test_expire():
    c, ob, clk = _new()
    out = bytearray(3 * 24)
    assert c.on_command("identify", {"seconds": 2}, clk.now_ms()) is None
    c.render(clk.now_ms(), out)
    assert c.view.identify_ms == 2000
    clk.advance(2000)
    c.tick(clk.now_ms())
    assert not c.identify_on
    c.on_command("ring_test", {}, clk.now_ms())
    assert c.test_on
    clk.advance(Controller.ring_test_ms)
    c.tick(clk.now_ms())
    assert not c.test_on


def test_reboot_mid_session_via_record_restore():
    c, ob, clk = _new(brightness=50)
    c.on_command("session_start", {"session": "s-9", "limit_s": 1800}, clk.now_ms())
    clk.advance(600000)
    c.tick(clk.now_ms())
    rec = c.record(clk.now_ms())
    import json
    rec = json.loads(json.dumps(rec))  # what the app writes and reads back
    ob2 = FakeOutbox()
    c2 = Controller("puck-a1", "0badf00d", Settings(), ob2)
    clk2 = FakeClock(1000)
    assert c2.restore(rec, clk2.now_ms()) == []
    assert c2.settings.brightness == 50
    assert ob2.last("session") == {"phase": "running", "session": "s-9", "limit_s": 1800, "warn_s": 300,
                                   "remaining_s": 1200, "cause": "resume"}
    assert c2.state_fields(clk2.now_ms())["remaining_s"] == 1200
    clk2.advance(1200000)
    c2.tick(clk2.now_ms())
    assert ob2.last("session")["phase"] == "timeup"


def test_restore_survives_garbage():
    c, ob, clk = _new()
    dropped = c.restore({"settings": {"brightness": 999}, "session": {"phase": "running"}}, clk.now_ms())
    assert len(dropped) == 2
    assert c.settings.brightness == 160 and c.session.phase == 0
    assert c.restore("junk", clk.now_ms()) == ["record"]


def test_render_fills_the_buffer():
    c, ob, clk = _new()
    out = bytearray(3 * c.leds)
    c.on_command("session_start", {"session": "s", "limit_s": 600}, clk.now_ms())
    clk.advance(300000)
    c.tick(clk.now_ms())
    c.render(clk.now_ms(), out)
    assert sum(out) > 0


def test_controller_render_allocates_nothing():
    try:
        import gc
        gc.mem_alloc
    except (ImportError, AttributeError):
        return  # CPython: the check runs under MicroPython
    c, ob, clk = _new(balance=True)
    out = bytearray(3 * c.leds)
    c.on_command("session_start", {"session": "s", "limit_s": 400}, clk.now_ms())
    c.on_gesture(PRESS, clk.now_ms())
    c.on_gesture(PRESS, clk.now_ms())
    c.on_command("hand_ack", {"hand": c.hands.next()}, clk.now_ms())
    c.on_turn(0, 5000, 1, 90, -30, 5000)
    c.on_turn(5000, 7000, 2, 90, -30, 7000)
    c.connected = False
    c.on_command("identify", {"seconds": 600}, clk.now_ms())
    frames = 0
    for _ in range(40):  # through running, warning, wrap-up, time up, overrun (wrapping the ticks)
        clk.advance(15000)
        c.tick(clk.now_ms())
        c.render(clk.now_ms(), out)  # warm up this phase
        gc.collect()
        gc.disable()
        try:
            before = gc.mem_alloc()
            for _ in range(5):
                c.render(clk.now_ms(), out)
                frames += 1
            after = gc.mem_alloc()
        finally:
            gc.enable()
        assert after == before, "render allocated %d bytes in phase %d" % (after - before, c.session.phase)
    assert frames == 200


def test_ack_overlay_is_forgotten_before_the_ticks_wrap():
    c, ob, clk = _new()
    out = bytearray(3 * c.leds)
    c.on_gesture(PRESS, clk.now_ms())
    c.on_command("hand_ack", {"hand": 1}, clk.now_ms())
    clk.advance(1000)
    c.tick(clk.now_ms())
    c.render(clk.now_ms(), out)
    assert c.view.ack_ms == 1000
    clk.advance(60000)
    c.tick(clk.now_ms())
    c.render(clk.now_ms(), out)
    assert c.view.ack_ms == -1
    assert c.state_fields(clk.now_ms())["hand_ack"] == 1  # the number stays for the host


def test_flags_can_be_events_a_task_waits_on():
    import asyncio

    async def go():
        ob = FakeOutbox()
        state = asyncio.Event()
        persist = asyncio.Event()
        c = Controller("puck-a1", "7f3a9c2e", Settings(), ob, state_flag=state, persist_flag=persist)
        assert state.is_set() and not persist.is_set()  # a first `state` after boot
        saved = []

        async def store():
            await persist.wait()
            persist.clear()
            saved.append(c.record(0))

        t = asyncio.create_task(store())
        await asyncio.sleep(0)
        state.clear()
        c.on_gesture(START, 0)  # starts a session: persist and republish
        assert c.state_dirty and c.persist_dirty
        for _ in range(3):
            await asyncio.sleep(0)
        assert len(saved) == 1 and saved[0]["session"] and not c.persist_dirty
        await t

    asyncio.run(go())


def test_remote_flag_on_turns_state_summaries_and_session_end():
    c, ob, clk = _new()
    c.on_command("session_start", {"session": "s-1", "limit_s": 1800}, clk.now_ms())
    c.on_turn(1000, 4000, 1, 80, -30, 4100, 0, False)
    assert ob.last("turn")["remote"] is False
    c.on_turn(4000, 9000, 2, 80, -30, 9100, 1, True)  # a voice from the laptop's loudspeaker
    assert ob.last("turn")["remote"] is True and ob.last("turn")["cont"] is True
    c.on_turn(9500, 10500, 3, 60, -33, 10600)  # a puck that does not tell: no field (unknown)
    assert "remote" not in ob.last("turn")
    c.set_talking(True, 2, 11000)
    assert c.state_fields(11000)["remote"] is True  # the voice talking now, known from its last turn
    c.set_talking(True, 3, 11000)
    assert "remote" not in c.state_fields(11000)
    c.set_talking(False, 0, 11000)
    assert "remote" not in c.state_fields(11000)
    c.on_summary(0, 60000, 20000, 3, -31, -60, 60000)
    voices = [{"voice": 1, "talk_ms": 3000, "remote": False}, {"voice": 2, "talk_ms": 5000, "remote": True},
              {"voice": 3, "talk_ms": 1000}]
    assert ob.last("vad")["voices"] == voices
    c.on_turn(12000, 14000, 2, 80, -30, 14100, 0, False)  # the cue changed its mind: the latest decision
    voices[1] = {"voice": 2, "talk_ms": 7000, "remote": False}
    c.on_command("session_stop", {}, clk.now_ms())
    end = ob.last("session")
    assert end["phase"] == "ended" and end["voices"] == voices  # the session's summary
    c.on_summary(60000, 120000, 0, 0, -100, -60, 120000)  # no session: no voices
    assert "voices" not in ob.last("vad")
    c.on_command("session_start", {"session": "s-2", "limit_s": 1800}, clk.now_ms())
    assert ob.last("session")["phase"] == "running" and "voices" not in ob.last("session")
    c.on_summary(120000, 180000, 0, 0, -100, -60, 180000)  # a new session: its voices start again
    assert "voices" not in ob.last("vad")
    assert bytes(c.voice_where) == bytes(len(c.voice_where))
