"""The device HALs use only names the MicroPython 1.28 stubs define (a cheap stand-in for a type check:
the stubs packages micropython-esp32-stubs / micropython-rp2-stubs install machine.pyi, network.pyi
and neopixel.pyi; both write the same files, so this checks the port-independent surface)."""
import ast
import os
import re
import sysconfig

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SITE = sysconfig.get_paths()["purelib"]
HALS = ["hal_mcu.py", "hal_esp32.py", "hal_rp2.py"]


def _stub(module):
    path = os.path.join(SITE, module + ".pyi")
    if not os.path.exists(path):
        pytest.skip("stubs not installed: %s" % path)
    return ast.parse(_read(path))


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def _names(tree):
    """{top-level name: set of its attribute names (for classes)}"""
    out = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            attrs = set()
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    attrs.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    attrs.add(item.target.id)
                elif isinstance(item, ast.Assign):
                    attrs.update(t.id for t in item.targets if isinstance(t, ast.Name))
            out.setdefault(node.name, set()).update(attrs)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.setdefault(node.name, set())
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out.setdefault(node.target.id, set())
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    out.setdefault(t.id, set())
    return out


def _uses(src):
    """(module, name, attr or None) for machine/network/neopixel names a HAL file uses."""
    tree = ast.parse(src)
    alias = {}  # local name -> (module, name or None)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name in ("machine", "network", "neopixel"):
                    alias[a.asname or a.name] = (a.name, None)
        elif isinstance(node, ast.ImportFrom) and node.module in ("machine", "network", "neopixel"):
            for a in node.names:
                alias[a.asname or a.name] = (node.module, a.name)
    uses = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in alias:
            module, name = alias[node.value.id]
            uses.add((module, name, node.attr) if name else (module, node.attr, None))
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) \
                and isinstance(node.value.value, ast.Name) and node.value.value.id in alias \
                and alias[node.value.value.id][1] is None:
            uses.add((alias[node.value.value.id][0], node.value.attr, node.attr))
    # WLAN instance methods (w = self.wlan / network.WLAN(...))
    for m in re.finditer(r"(?:self\.wlan|\bw)\.(\w+)\(", src):
        uses.add(("network", "WLAN", m.group(1)))
    return uses


@pytest.mark.parametrize("hal", HALS)
def test_hal_names_exist_in_stubs(hal):
    src = _read(os.path.join(ROOT, "firmware", hal))
    stubs = {m: _names(_stub(m)) for m in ("machine", "network", "neopixel")}
    missing = []
    for module, name, attr in sorted(_uses(src), key=str):
        names = stubs[module]
        if name not in names:
            missing.append("%s.%s" % (module, name))
        elif attr and attr not in names[name]:
            missing.append("%s.%s.%s" % (module, name, attr))
    assert missing == []


def test_checker_sees_the_names():
    uses = _uses(_read(os.path.join(ROOT, "firmware", "hal_mcu.py")))
    assert ("machine", "I2S", "RX") in uses and ("network", "WLAN", "isconnected") in uses
    assert ("neopixel", "NeoPixel", None) in uses
