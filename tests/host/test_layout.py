"""The host's layout keeps its promises: parts in subpackages with a README, every command in
talkpuck/cli, paho in one module, the firmware's portable modules free of hardware imports, and an
installed (non-editable) package that finds its schemas and boards as package data."""
import ast
import glob
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PKG = os.path.join(ROOT, "host", "talkpuck")
FW = os.path.join(ROOT, "firmware")


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def _imports(path):
    tree = ast.parse(_read(path), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module


def test_top_level_holds_only_subpackages_and_the_error_family():
    loose = sorted(n for n in os.listdir(PKG) if n.endswith(".py"))
    assert loose == ["__init__.py", "errors.py"]


def test_every_subpackage_has_a_readme():
    for init in glob.glob(os.path.join(PKG, "*", "__init__.py")):
        folder = os.path.dirname(init)
        assert os.path.exists(os.path.join(folder, "README.md")), os.path.relpath(folder, ROOT)
    assert os.path.exists(os.path.join(PKG, "README.md"))


def test_commands_live_in_cli_and_are_all_registered():
    from talkpuck import cli

    modules = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(PKG, "cli", "*.py"))
                     if not os.path.basename(p).startswith("_") and os.path.basename(p) != "runtime.py")
    assert sorted(cli.COMMANDS) == modules
    outside = []
    for path in glob.glob(os.path.join(PKG, "**", "*.py"), recursive=True):
        if os.sep + "cli" + os.sep in path:
            continue
        if "def add_parser" in _read(path):
            outside.append(os.path.relpath(path, ROOT))
    assert outside == []


def test_paho_only_in_the_mqtt_link():
    users = sorted(os.path.relpath(p, PKG) for p in glob.glob(os.path.join(PKG, "**", "*.py"), recursive=True)
                   if any(m.split(".")[0] == "paho" for m in _imports(p)))
    assert users == [os.path.join("mqtt", "link.py")]


def test_no_private_names_across_modules():
    bad = []
    for path in glob.glob(os.path.join(PKG, "**", "*.py"), recursive=True):
        tree = ast.parse(_read(path), path)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("talkpuck"):
                bad += ["%s: %s.%s" % (os.path.relpath(path, ROOT), node.module, a.name)
                        for a in node.names if a.name.startswith("_")]
    assert bad == []


def test_hardware_imports_only_in_platform_files():
    """machine/network/socket only in hal_<platform>.py, boot.py and main.py: puckport runs on the host too."""
    hardware = {"machine", "network", "socket", "neopixel", "espnow", "rp2", "esp32", "bluetooth"}
    offenders = []
    for path in glob.glob(os.path.join(FW, "**", "*.py"), recursive=True):
        name = os.path.basename(path)
        if os.path.dirname(path) == FW and (name.startswith("hal_") or name in ("boot.py", "main.py")):
            continue
        used = {m.split(".")[0] for m in _imports(path)} & hardware
        if used:
            offenders.append("%s: %s" % (os.path.relpath(path, ROOT), sorted(used)))
    assert offenders == []


def test_installed_package_finds_its_schemas_and_boards(tmp_path):
    target = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), ROOT],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    code = (
        "import talkpuck, puckport.devconfig\n"
        "from talkpuck.protocol.schemas import schema_names, SCHEMA_DIR\n"
        "from talkpuck.deploy.boards import board_names, load_chip, load_board\n"
        "assert talkpuck.__file__.startswith(%r), talkpuck.__file__\n"
        "assert 'cmd_config' in schema_names() and SCHEMA_DIR.startswith(%r)\n"
        "assert 'esp32s3-devkit' in board_names(); load_chip(load_board('pico-w')['chip'])\n"
        "print('ok')\n" % (str(target), str(target)))
    env = dict(os.environ, PYTHONPATH=str(target))
    env.pop("TALKPUCK_SCHEMAS", None)
    r = subprocess.run([sys.executable, "-c", code], cwd=str(tmp_path), env=env, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr
