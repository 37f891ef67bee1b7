"""HostApp against a real Mosquitto: golden events stored once, gaps counted, bad input rejected and counted."""
import json

from conftest import wait_for

BOOT = "7f3a9c2e"


def _events(host, device):
    return {(e["boot"], e["seq"]): e for e in host.store.events(device)}


def test_golden_events_stored_once(host, puck):
    puck.example("status_online")
    puck.example("info")
    for name in ("evt_session_running", "evt_turn", "evt_vad", "evt_hand_raise", "evt_hand_ack", "evt_mic"):
        puck.example(name)
    puck.example("state")
    puck.example("tele")
    assert wait_for(lambda: len(_events(host, puck.device)) == 6)
    ev = _events(host, puck.device)
    assert sorted(seq for _, seq in ev) == [3, 17, 18, 19, 20, 21]
    assert ev[(BOOT, 17)]["kind"] == "turn"
    # wall clock: anchored on info (ms 1520), so the turn ended 61.48 s after info arrived
    info_wall = host.store.anchor(puck.device, BOOT)[0]
    assert ev[(BOOT, 17)]["wall_ms"] - info_wall == 63000 - 1520
    # the session from the host id, the turn inside it, the hand acknowledged by the puck
    s = host.session("s-20261121-0001")
    assert s["turns"] == 1 and s["voices"] == {1: {"turns": 1, "talk_s": 4.8, "share": 1.0, "monologues": 0, "cut_ins": 0,
                                                   "remote": False}}   # evt/turn.remote (revision 5)
    assert s["room_call"]["room_s"] == 4.8 and s["room_call"]["call_s"] == 0.0
    assert s["hand_raises"] == 1 and s["hands_acked"] == 1
    assert wait_for(lambda: host.store.device(puck.device)["tele"] is not None)
    d = host.store.device(puck.device)
    assert d["room"] == "Family room" and d["state"]["remaining_s"] == 1742 and d["online"]
    # the host answered the puck coming online with cmd/time
    assert wait_for(lambda: puck.commands("time"))
    verb, cmd = puck.commands("time")[0]
    assert cmd["now_ms"] > 1.7e12 and cmd["ttl_s"] > 0 and cmd["id"]
    st = host.stats()
    assert st["events_stored"] == 6 and st["turns"] == 1 and st["hand_raises"] == 1 and st["sessions"] == 1
    assert st["duplicates_dropped"] == 0 and st["rejected"] == {}


def test_duplicates_dropped_and_counted(host, puck):
    puck.example("info")
    for _ in range(3):
        puck.example("evt_turn")
    puck.example("evt_vad")
    assert host.wait_idle(0.5, 10)
    assert wait_for(lambda: host.stats()["duplicates_dropped"] == 2)
    st = host.stats()
    # no session runs: the turn is counted, not kept (docs/privacy.md)
    assert st["events_stored"] == 2 and st["turns"] == 0 and host.store.counter("turns_outside_session") == 1


def test_gaps_counted_including_end_of_previous_boot(host, puck):
    puck.send("talkpuck/v1/%s/info" % puck.device, {"v": 1, "boot": "0000000a", "ms": 0, "fw": "t", "board": "b",
              "leds": 16, "room": "r", "caps": [], "prev_boot": None, "prev_seq": 0})
    for seq in (1, 2, 4, 7):            # 3, 5, 6 lost
        puck.event("vad", "0000000a", seq, seq * 1000, from_ms=0, to_ms=1, speech_ms=0, turns=0, level_db=-40, noise_db=-60)
    assert wait_for(lambda: host.stats()["events_stored"] == 4)
    assert host.stats()["events_lost"] == 3
    # the next boot says the previous one ended at seq 9: 8 and 9 never arrived either
    puck.send("talkpuck/v1/%s/info" % puck.device, {"v": 1, "boot": "0000000b", "ms": 5, "fw": "t", "board": "b",
              "leds": 16, "room": "r", "caps": [], "prev_boot": "0000000a", "prev_seq": 9})
    puck.event("vad", "0000000b", 1, 10, from_ms=0, to_ms=1, speech_ms=0, turns=0, level_db=-40, noise_db=-60)
    assert wait_for(lambda: host.stats()["events_stored"] == 5)
    assert host.stats()["events_lost"] == 5
    gaps = {g["boot"]: g for g in host.store.gaps()}
    assert gaps["0000000a"]["lost"] == 5 and gaps["0000000b"]["lost"] == 0


def test_unknown_previous_boot_is_not_counted_lost(host, puck):
    puck.example("info")                 # prev_boot 0b12cd34 / prev_seq 212, never seen by this host
    puck.example("evt_turn", seq=1)
    assert wait_for(lambda: host.stats()["events_stored"] == 1)
    assert host.stats()["events_lost"] == 0


def test_bad_messages_rejected_counted_and_nothing_else_lost(host, puck):
    import glob
    import os
    from conftest import BAD
    good_seq = 0
    puck.example("info")
    sent_bad = 0
    for path in sorted(glob.glob(os.path.join(BAD, "*.json"))):
        with open(path) as f:
            ex = json.load(f)
        if "/cmd/" in ex["topic"]:
            continue                    # commands are the pucks' to reject (the host ignores cmd echo)
        topic = ex["topic"] if "Puck A!" in ex["topic"] else ex["topic"].replace("puck-a1", puck.device)
        puck.send(topic, ex["payload"] if isinstance(ex["payload"], dict) else ex["payload"])
        sent_bad += 1
        good_seq += 1                   # a good event after every bad one must still be stored
        puck.example("evt_turn", seq=good_seq)
    puck.send("talkpuck/v1/%s/evt/turn" % puck.device, b"\xff\xfe not utf8")
    puck.send("talkpuck/v1/%s/nonsense" % puck.device, b"{}")
    # bad_device_id: "Puck A!" and host/info (a reserved name is never a puck: counted, not silently dropped)
    # schema: 7, and 4 of protocol revision 5 (a non-boolean `remote`, a voice entry's, an extra field, 17 voices)
    expected = {"bad_device_id": 2, "schema": 11, "not_json": 2, "unknown_kind": 2, "bad_version": 1, "not_utf8": 1}
    # the last two bad messages follow the last good one: wait for them too, not only for the good events
    assert wait_for(lambda: host.stats()["events_stored"] == sent_bad
                    and sum(host.stats()["rejected"].values()) == sum(expected.values()))
    st = host.stats()
    assert st["rejected"] == expected
    # no session runs, so each good turn is counted outside a session (docs/privacy.md), none is lost
    assert host.store.counter("turns_outside_session") == sent_bad and st["events_lost"] == 0


def test_start_session_and_acknowledge_hand(host, puck):
    puck.example("status_online")
    puck.example("info")
    sid = host.start_session(puck.device, 180, warn_s=60, purpose="Team check-in")
    assert wait_for(lambda: puck.commands("session_start"))
    _, cmd = puck.commands("session_start")[0]
    assert cmd["session"] == sid and cmd["limit_s"] == 180 and cmd["warn_s"] == 60 and "purpose" not in cmd
    assert host.store.session(sid)["phase"] == "requested"
    # the puck confirms: running, answers resp, someone raises a hand
    puck.event("session", BOOT, 1, 2000, phase="running", session=sid, limit_s=180, warn_s=60, remaining_s=180, cause="cmd")
    puck.send("talkpuck/v1/%s/resp" % puck.device, {"v": 1, "boot": BOOT, "ms": 2001, "id": cmd["id"],
              "verb": "session_start", "ok": True, "error": None})
    puck.event("hand", BOOT, 2, 3000, action="raise", hand=2, waiting=1)
    # other tests' pucks share this host: wait for this puck's hand, not for any hand
    q = wait_for(lambda: [h for h in host.hand_queue() if h["device"] == puck.device], what="the puck's hand queued")
    assert len(q) == 1 and q[0]["state"] == "waiting" and q[0]["hand"] == 2 and q[0]["boot"] == BOOT
    assert q[0]["room"] == "Family room" and q[0]["wait_s"] >= 0 and q[0]["raised_at"]
    assert host.store.command(cmd["id"])["state"] == "ok"
    host.acknowledge_hand(puck.device, BOOT, 2)
    assert wait_for(lambda: puck.commands("hand_ack"))
    assert puck.commands("hand_ack")[0][1]["hand"] == 2
    assert [h["state"] for h in host.hand_queue("Family room") if h["device"] == puck.device] == ["acked"]
    s = host.session(sid)
    assert s["phase"] == "running" and s["source"] == "host" and s["hand_raises"] == 1 and s["started_ms"]


def test_live_page_and_api_served(host, puck):
    assert host.http_url.startswith("http://127.0.0.1:")
    from webauth import urllib_session
    opener, _ = urllib_session(host.store, host.http_url)   # every page needs a login (test_api_security.py)
    with opener.open(host.http_url) as r:
        html = r.read().decode()
    assert "live.js" in html
    puck.example("info")
    puck.example("state")
    assert wait_for(lambda: host.store.device(puck.device) and host.store.device(puck.device)["state"])
    with opener.open(host.http_url + "api/live") as r:
        live = json.loads(r.read())
    room = [r for r in live["rooms"] if r["room"] == "Family room"][0]
    dev = [d for d in room["devices"] if d["id"] == puck.device][0]
    assert dev["phase"] == "running" and dev["talking"] and dev["voice"] == 1
