"""runtime — the running host's addresses in <data-dir>/host.json, so other commands find its broker and store."""
import argparse
import json
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from talkpuck.errors import ConfigError

if TYPE_CHECKING:
    from talkpuck.store import Store

NAME = "host.json"


def write(data_dir: str, **info: Any) -> str:
    os.makedirs(data_dir, exist_ok=True)
    path = os.path.join(data_dir, NAME)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(info, f, indent=1)
    os.replace(tmp, path)
    return path


def read(data_dir: str) -> dict[str, Any]:
    path = os.path.join(data_dir, NAME)
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}
    except ValueError as e:
        raise ConfigError("%s is not valid JSON: %s" % (path, e))


def clear(data_dir: str) -> None:
    try:
        os.remove(os.path.join(data_dir, NAME))
    except FileNotFoundError:
        pass


def resolve(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """(broker_url, db_url) from the command line, else from a running `talkpuck serve` in --data-dir."""
    info = read(args.data_dir)
    broker = getattr(args, "broker", None) or info.get("broker_url")
    db = getattr(args, "db", None) or info.get("db_url")
    return broker, db


def store_args(p: argparse.ArgumentParser) -> None:
    """--db and --data-dir, for a command that works on the store (see open_store)."""
    p.add_argument("--db", help="database URL (default: the running host's, else SQLite in the data dir)")
    p.add_argument("--data-dir", default="var", help="data dir (default: var)")


def open_store(args: argparse.Namespace) -> "Store":
    """The store of store_args: --db, else the running host's in --data-dir, else SQLite in --data-dir."""
    from talkpuck.store import Store
    _, db = resolve(args)
    return Store(db, data_dir=args.data_dir)


def duration_s(text: object) -> int:
    """'90', '90s', '5m', '1h', '1h30m' -> seconds."""
    t = str(text).strip().lower()
    if t.isdigit():
        return int(t)
    total, num = 0, ""
    for ch in t:
        if ch.isdigit():
            num += ch
        elif ch in "hms" and num:
            total += int(num) * {"h": 3600, "m": 60, "s": 1}[ch]
            num = ""
        else:
            raise ConfigError("duration %r: use seconds or forms like 90s, 5m, 1h30m" % text)
    if num:
        raise ConfigError("duration %r: a number without unit after a unit" % text)
    return total


def show_help(p: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    """`func` of a command group run without its subcommand: its help, exit code 2."""
    def func(args: argparse.Namespace) -> int:
        p.print_help()
        return 2
    return func
