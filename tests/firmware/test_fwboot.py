"""fwboot: the boot decision (trial, confirm, rollback after a crash), its file, sys.path."""
import sys

for _p in ("firmware", "firmware/lib"):
    if _p not in sys.path:
        sys.path.append(_p)

import fwboot  # noqa: E402

from fakes.folders import empty_folder  # noqa: E402

FOLDER = "build/test-fwboot-" + sys.implementation.name


def _clean():
    empty_folder(FOLDER)


def test_factory_copy_when_nothing_is_pending():
    st, slot, trial = fwboot.choose({})
    assert slot == "" and not trial and st["pending"] is None
    st, slot, trial = fwboot.choose({"active": "b"})
    assert slot == "b" and not trial
    assert fwboot.choose({"active": "zz"})[1] == ""  # a bad value: the factory copy


def test_pending_copy_runs_once_as_a_trial_then_is_confirmed():
    st = fwboot.with_pending(fwboot.empty(), "a", "0.2.0")
    st, slot, trial = fwboot.choose(st)
    assert slot == "a" and trial and st["tries"] == 1  # written before the trial runs
    st = fwboot.confirmed(st)
    assert st["active"] == "a" and st["active_fw"] == "0.2.0" and st["pending"] is None
    st, slot, trial = fwboot.choose(st)
    assert slot == "a" and not trial
    assert fwboot.inactive(st) == "b"


def test_a_trial_that_never_confirmed_rolls_back():
    st = fwboot.with_pending({"active": "a", "active_fw": "0.2.0"}, "b", "0.3.0")
    st, slot, trial = fwboot.choose(st)
    assert slot == "b" and trial
    # it crashed (or hung, or was not healthy in time): the next boot
    st, slot, trial = fwboot.choose(st)
    assert slot == "a" and not trial
    assert st["rolled_back"] == "0.3.0" and st["pending"] is None and st["active_fw"] == "0.2.0"
    st, slot, trial = fwboot.choose(st)  # and stays there
    assert slot == "a" and not trial


def test_pending_the_active_slot_is_ignored():
    st, slot, trial = fwboot.choose(fwboot.with_pending({"active": "a"}, "a", "x"))
    assert slot == "a" and not trial and st["pending"] is None


def test_select_writes_the_decision_and_puts_the_slot_first_on_the_path():
    _clean()
    assert fwboot.load(FOLDER) == fwboot.empty()
    fwboot.save(FOLDER, fwboot.with_pending(fwboot.empty(), "b", "0.2.0"))
    before = list(sys.path)
    try:
        slot, trial = fwboot.select(FOLDER)
        assert slot == "b" and trial
        assert sys.path[0] == FOLDER + "/b" and sys.path[1] == FOLDER + "/b/lib"
        assert fwboot.load(FOLDER)["tries"] == 1
    finally:
        sys.path[:] = before
    slot, trial = fwboot.select(FOLDER)  # the trial never confirmed
    sys.path[:] = before
    assert slot == "" and not trial and fwboot.load(FOLDER)["rolled_back"] == "0.2.0"


def test_torn_state_file_boots_the_factory_copy():
    _clean()
    fwboot._mkdirs(FOLDER)
    with open(FOLDER + "/" + fwboot.STATE, "w") as f:
        f.write('{"active": "a", "pend')
    assert fwboot.load(FOLDER) == fwboot.empty()


def test_folder_comes_from_the_config():
    _clean()
    fwboot._mkdirs(FOLDER)
    path = FOLDER + "/config.json"
    with open(path, "w") as f:
        f.write('{"storage": "/tmp/x"}')
    assert fwboot.fw_dir(path) == "/tmp/x/fw"
    assert fwboot.fw_dir(FOLDER + "/missing.json") == "data/fw"


class _FakeApp:
    """Stands in for app_main in sys.modules: run() answers or raises what the test says."""

    def __init__(self, answer=None, error=None):
        self.answer = answer
        self.error = error

    def run(self, config_path):
        if self.error is not None:
            raise self.error
        return self.answer


def _run_with(app, pending):
    storage = "build/test-fwboot-run-" + sys.implementation.name
    folder = fwboot.folder(storage)
    fwboot._mkdirs(folder)
    fwboot.save(folder, fwboot.with_pending(fwboot.empty(), "a", "9.9") if pending else fwboot.empty())
    cfg = storage + "/config.json"
    with open(cfg, "w") as f:
        f.write('{"storage": "%s"}' % storage)
    saved_path = list(sys.path)
    saved_app = sys.modules.get("app_main")
    sys.modules["app_main"] = app
    try:
        return fwboot.run(cfg), fwboot.load(folder)
    finally:
        sys.path[:] = saved_path
        if saved_app is None:
            del sys.modules["app_main"]
        else:
            sys.modules["app_main"] = saved_app


def test_run_asks_for_a_reset_when_a_trial_fails_at_boot():
    result, st = _run_with(_FakeApp(error=RuntimeError("boom")), True)
    assert result == fwboot.RESET and st["tries"] == 1  # the next boot rolls back
    result, st = _run_with(_FakeApp(answer=ValueError("config error")), True)  # app_main returned its ConfigError
    assert result == fwboot.RESET
    assert _run_with(_FakeApp(answer=fwboot.RESET), False)[0] == fwboot.RESET  # an applied update
    assert _run_with(_FakeApp(), True)[0] is None  # a trial that runs: no reset
    try:
        _run_with(_FakeApp(error=RuntimeError("boom")), False)
    except RuntimeError:
        pass  # the factory or a confirmed copy: the error stops at the REPL, as before
    else:
        raise AssertionError("a non-trial error must propagate")
