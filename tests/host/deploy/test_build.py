"""`talkpuck build` compiles the firmware to .mpy for both chips; deploy checks before it copies."""
import json
import os

import pytest

from talkpuck.cli import main
from talkpuck.deploy.build import build, manifest_files
from talkpuck.deploy.deploy import check_config, deploy_command
from talkpuck.deploy.boards import load_board
from talkpuck.errors import ConfigError

MPY_ARCH = {"xtensawin": 10, "armv6m": 4}  # native arch in the .mpy v6 header (byte 2 >> 2); 0 = bytecode only
NATIVE = ("lib/i2s_convert.mpy", "puckcore/frontend_viper.mpy")  # viper: compiled for the arch


def _arch_of(path):
    with open(path, "rb") as f:
        head = f.read(4)
    assert head[0:1] == b"M", path
    return head[2] >> 2


@pytest.mark.parametrize("board,arch,hal", [("esp32s3-devkit", "xtensawin", "hal_esp32"), ("pico-w", "armv6m", "hal_rp2")])
def test_build_produces_mpy_for_the_chip(tmp_path, board, arch, hal):
    out = build(board, str(tmp_path))
    assert out == os.path.join(str(tmp_path), board)
    with open(os.path.join(out, "build.json")) as f:
        info = json.load(f)
    assert info["arch"] == arch
    files = info["files"]
    for need in ("boot.py", "main.py", "board.json", "app_main.mpy", "puckport/devconfig.mpy", "puckport/uptime.mpy",
                 "puckport/jsonstore.mpy", "puckport/hal_common.mpy", "puckcore/puck.mpy",
                 "lib/mqtt_client.mpy", "lib/mqtt_packets.mpy", "lib/i2s_convert.mpy", "hal_mcu.mpy", hal + ".mpy"):
        assert need in files, need
    other = {"hal_esp32", "hal_rp2"} - {hal}
    assert not any(f.split(".")[0] in other or f.startswith("hal_unix") for f in files)
    mpys = [f for f in files if f.endswith(".mpy")]
    assert len(mpys) > 20
    for f in mpys:
        assert _arch_of(os.path.join(out, f)) in (0, MPY_ARCH[arch]), f
    for f in NATIVE:
        assert _arch_of(os.path.join(out, f)) == MPY_ARCH[arch], f
    with open(os.path.join(out, "board.json")) as f:
        assert json.load(f)["name"] == board
    _check_bundle(out, board, hal)


def test_manifest_lists_the_core():
    dests = [d for _s, d in manifest_files()]
    assert "puckcore/puck" in dests and "lib/mqtt_client" in dests and "app_main" in dests
    for src, _d in manifest_files():
        assert os.path.exists(src), src


def test_unix_board_is_built_only_for_a_known_pc_architecture(tmp_path, monkeypatch):
    # the unix port's build (the update tests, tests/e2e/test_unix_ota.py) is for this PC's arch
    from talkpuck.deploy import build as build_mod

    monkeypatch.setattr(build_mod, "UNIX_ARCH", {})
    with pytest.raises(ConfigError, match="runs the firmware from source"):
        build("unix", str(tmp_path))


def _check_bundle(out, board, hal):
    """The build's update bundle: its .mpy files, hashed in the manifest, MACed per key."""
    import hashlib
    import hmac

    from talkpuck.deploy.bundle import BIN, Bundle

    b = Bundle.load(out)
    manifest = json.loads(b.manifest)
    assert manifest["fw"] == b.fw and manifest["board"] == board
    names = [f[0] for f in manifest["files"]]
    assert "app_main.mpy" in names and hal + ".mpy" in names
    assert not {"boot.py", "main.py", "fwboot.py", "board.json"} & set(names)  # never updated over the air
    off = b.mlen
    for name, size, sha in manifest["files"]:
        with open(os.path.join(out, name), "rb") as f:
            data = f.read()
        assert b.data[off:off + size] == data and hashlib.sha256(data).hexdigest() == sha
        off += size
    assert off == len(b.data)
    key = bytes(range(32))
    assert b.mac(key) == hmac.new(key, b.manifest, hashlib.sha256).hexdigest() != b.mac(bytes(32))
    with open(os.path.join(out, BIN), "r+b") as f:  # a bundle changed after the build is refused
        f.seek(b.mlen + 10)
        f.write(b"\xff")
    with pytest.raises(ConfigError, match="does not match"):
        Bundle.load(out)


def test_cli_build(tmp_path, capsys):
    assert main(["build", "--board", "pico-w", "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == os.path.join(str(tmp_path), "pico-w")


def _config(tmp_path, **changes):
    doc = {"device": "puck-a1", "board": "esp32s3-devkit", "wifi": {"ssid": "rooms", "password": "secret-secret"},
           "broker": "mqtt://192.168.1.20:1883"}
    doc.update(changes)
    path = tmp_path / "my.json"
    path.write_text(json.dumps(doc))
    return str(path)


def test_deploy_checks_config_against_board(tmp_path):
    board = load_board("esp32s3-devkit")
    assert check_config(_config(tmp_path), board).device == "puck-a1"
    with pytest.raises(ConfigError, match="board: config .* is for 'pico-w'"):
        check_config(_config(tmp_path, board="pico-w"), board)
    with pytest.raises(ConfigError, match="^wifi.password:"):
        check_config(_config(tmp_path, wifi={"ssid": "x", "password": "123"}), board)


def test_deploy_dry_run_prints_one_mpremote_call(tmp_path, capsys):
    rc = main(["deploy", "--port", "/dev/ttyACM0", "--board", "esp32s3-devkit", "--config", _config(tmp_path),
               "--out", str(tmp_path / "b"), "--dry-run"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "connect /dev/ttyACM0 fs cp -r" in out and ":config.json + reset" in out
    cmd = deploy_command(str(tmp_path / "b" / "esp32s3-devkit"), "/dev/ttyACM0")
    assert cmd[1:6] == ["connect", "/dev/ttyACM0", "fs", "cp", "-r"] and "puckcore" in cmd and cmd[-1] == "reset"


def test_deploy_bad_config_copies_nothing(tmp_path, capsys):
    bad = _config(tmp_path, device="Not Valid")
    assert main(["deploy", "--port", "/dev/null", "--board", "esp32s3-devkit", "--config", bad,
                 "--out", str(tmp_path / "b")]) == 2
    assert "device: must be" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()
