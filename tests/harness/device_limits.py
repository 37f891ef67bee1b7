"""device_limits — run firmware code on CPython under the device's numeric limits.

The MicroPython unix port here has 63-bit small ints and double floats; the pucks have 31-bit
small ints (anything past +-2**30 becomes a heap-allocated long) and single-precision floats. This
harness imports `puckcore` modules through an AST rewrite that passes the result of every
arithmetic operation through `_chk`, which

* raises `DeviceLimitError` when an int result leaves [-2**30, 2**30), and
* rounds every float result to float32, so float code behaves as it does on the device.

Clocks already wrap with a 2**30 ms period on CPython (see puckcore/ticks.py).
A module whose first lines contain `# device-limits: exempt` (text codecs that carry host
timestamps) is imported unchanged.

Usage: python -m tests.harness.device_limits MODULE  (runs that test module's tests, like run_tests).
"""
import ast
import importlib.abc
import importlib.util
import os
import struct
import sys

LIMIT = 1 << 30
_pack = struct.Struct("<f")


class DeviceLimitError(AssertionError):
    pass


def _chk(value):
    t = type(value)
    if t is int:
        if value >= LIMIT or value < -LIMIT:
            raise DeviceLimitError("intermediate %d leaves +-2**30" % value)
    elif t is float:
        return _pack.unpack(_pack.pack(value))[0]
    return value


class _Wrap(ast.NodeTransformer):
    def _call(self, node):
        return ast.copy_location(
            ast.Call(func=ast.Name(id="_device_chk", ctx=ast.Load()), args=[node], keywords=[]), node
        )

    def visit_BinOp(self, node):
        self.generic_visit(node)
        return self._call(node)

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            return node
        return self._call(node)

    def visit_AugAssign(self, node):
        # x op= y  ->  x = _chk(x op y); keeps targets that are names, attributes or subscripts
        self.generic_visit(node)
        load = _as_load(node.target)
        value = self._call(ast.copy_location(ast.BinOp(left=load, op=node.op, right=node.value), node))
        return ast.copy_location(ast.Assign(targets=[node.target], value=value), node)


def _as_load(target):
    new = ast.parse(ast.unparse(target), mode="eval").body
    return ast.copy_location(new, target)


class _Loader(importlib.abc.SourceLoader):
    def __init__(self, path):
        self.path = path

    def get_filename(self, fullname):
        return self.path

    def get_data(self, path):
        with open(path, "rb") as f:
            return f.read()

    def source_to_code(self, data, path, *, _optimize=-1):
        text = data.decode("utf-8")
        head = "\n".join(text.splitlines()[:8])
        tree = ast.parse(text, filename=path)
        if "device-limits: exempt" not in head:
            tree = ast.fix_missing_locations(_Wrap().visit(tree))
        return compile(tree, path, "exec", dont_inherit=True)

    def exec_module(self, module):
        module.__dict__["_device_chk"] = _chk
        super().exec_module(module)


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self, root, packages):
        self.root = root
        self.packages = packages

    def find_spec(self, fullname, path, target=None):
        top = fullname.split(".")[0]
        if top not in self.packages:
            return None
        parts = fullname.split(".")
        base = os.path.join(self.root, *parts)
        if os.path.isdir(base):
            init = os.path.join(base, "__init__.py")
            return importlib.util.spec_from_file_location(
                fullname, init, loader=_Loader(init), submodule_search_locations=[base]
            )
        if os.path.isfile(base + ".py"):
            return importlib.util.spec_from_file_location(fullname, base + ".py", loader=_Loader(base + ".py"))
        return None


def install(root=None, packages=("puckcore",)):
    """Route imports of `packages` (found under `root`, default firmware/) through the rewrite."""
    root = root or os.path.join(os.path.dirname(__file__), "..", "..", "firmware")
    for name in list(sys.modules):
        if name.split(".")[0] in packages:
            del sys.modules[name]
    sys.meta_path.insert(0, _Finder(os.path.abspath(root), set(packages)))


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    install()
    sys.path.insert(0, os.path.join(here, "..", "firmware"))
    sys.path.insert(0, os.path.join(here, ".."))
    sys.path.insert(0, here)
    import run_tests

    sys.exit(1 if run_tests.main(sys.argv[1]) else 0)
