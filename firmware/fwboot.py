"""fwboot — picks the application copy to run at boot (slots A/B), and rolls back a copy that fails.

Never updated over the air (like boot.py and main.py it stays source at the filesystem root) and
self-contained: it imports only json, os and sys, so nothing of the application is loaded before
sys.path points at the chosen copy.

Layout (under <storage>/fw, storage = config.json's `storage`, default `data`):

    slots.json   {"active": "" | "a" | "b", "active_fw", "pending": null | "a" | "b", "pending_fw",
                  "tries": 0 | 1, "rolled_back": null | version}
    a/, b/       two application copies (.mpy files, as `talkpuck build` makes them); "" is the
                 copy deployed at the root by `talkpuck deploy` (the factory copy)

The boot decision, `choose(state)` (pure, tested on CPython and MicroPython):

    pending, tries 0   -> boot the pending copy as a trial; tries := 1 is written BEFORE it runs
    pending, tries 1   -> the trial never confirmed (it crashed, hung, or was not healthy in time):
                          roll back: boot the active copy, pending := null, rolled_back := its version
    no pending         -> boot the active copy

The running application confirms a trial (`confirm`) once it has been healthy for a while
(puckport/fwupdate.py); a crash at boot during a trial makes `run` ask main.py for a reset, and the
next boot rolls back. Safe mode (the button held at boot) still works in every copy; a trial that
stops in safe mode is not confirmed, so the next boot rolls it back.
"""
import json
import os
import sys

STATE = "slots.json"
SLOTS = ("a", "b")
RESET = "reset"  # run()'s answer when main.py should reset the board
RESET_EXIT = 75  # the unix port's stand-in for a reset: exit with this code (a supervisor restarts it)


def empty():
    return {"active": "", "active_fw": None, "pending": None, "pending_fw": None, "tries": 0, "rolled_back": None}


def choose(state):
    """(new state, slot to boot, trial?) for a slots.json document (pure)."""
    st = empty()
    for k in st:
        if k in state:
            st[k] = state[k]
    if st["active"] not in SLOTS:
        st["active"] = ""
    pending = st["pending"]
    if pending in SLOTS and pending != st["active"]:
        if not st["tries"]:
            st["tries"] = 1
            return st, pending, True
        st["rolled_back"] = st["pending_fw"] or "?"
    st["pending"] = None
    st["pending_fw"] = None
    st["tries"] = 0
    return st, st["active"], False


def confirmed(state):
    """The state after the running trial reported healthy (pure): its copy becomes the active one."""
    st = dict(state)
    if st.get("pending") in SLOTS and st.get("tries"):
        st["active"] = st["pending"]
        st["active_fw"] = st.get("pending_fw")
        st["rolled_back"] = None
    st["pending"] = None
    st["pending_fw"] = None
    st["tries"] = 0
    return st


def with_pending(state, slot, version):
    """The state that boots `slot` (holding `version`) as a trial at the next boot (pure)."""
    st = dict(state)
    st["pending"] = slot
    st["pending_fw"] = version
    st["tries"] = 0
    return st


def inactive(state):
    """The slot an update may overwrite: never the active copy."""
    return "b" if state.get("active") == "a" else "a"


def folder(storage):
    """Where the slots live: <storage>/fw (storage is config.json's, default `data`)."""
    return storage + "/fw"


def fw_dir(config_path):
    storage = "data"
    try:
        with open(config_path) as f:
            storage = json.load(f).get("storage") or storage
    except Exception:
        pass  # app_main reports a bad config.json; the factory copy runs
    return folder(storage)


def load(folder):
    try:
        with open(folder + "/" + STATE) as f:
            doc = json.load(f)
        return doc if type(doc) is dict else empty()
    except Exception:  # missing or torn: the factory copy (never a half-written update)
        return empty()


def save(folder, state):
    _mkdirs(folder)
    tmp = folder + "/" + STATE + ".tmp"
    with open(tmp, "w") as f:
        json.dump(state, f)
    os.rename(tmp, folder + "/" + STATE)


def _mkdirs(path):
    cur = "/" if path.startswith("/") else ""
    for name in path.split("/"):
        if not name:
            continue
        cur = name if not cur else (cur + name if cur.endswith("/") else cur + "/" + name)
        try:
            os.mkdir(cur)
        except OSError:
            pass  # exists


def select(folder):
    """Decide, write the decision, put the chosen copy first on sys.path; returns (slot, trial)."""
    before = load(folder)
    st, slot, trial = choose(before)
    if st != before:
        save(folder, st)  # tries := 1 is on flash before the trial runs a single line
    if slot:
        base = folder + "/" + slot
        sys.path.insert(0, base + "/lib")
        sys.path.insert(0, base)
    return slot, trial


def run(config_path=None):
    """main.py's one call: select the copy, run app_main; RESET when main.py should reset the board."""
    if config_path is None:
        config_path = sys.argv[1] if len(sys.argv) > 1 else "config.json"
    slot, trial = select(fw_dir(config_path))
    try:
        import app_main

        result = app_main.run(config_path)
    except Exception as e:
        if not trial:
            raise
        print("talkpuck: firmware in slot %s failed at boot (%r): reset, the next boot rolls back" % (slot, e))
        return RESET
    if trial and result is not None and result != RESET:  # app_main returned its ConfigError
        print("talkpuck: firmware in slot %s refused the config: reset, the next boot rolls back" % slot)
        return RESET
    return RESET if result == RESET else None
