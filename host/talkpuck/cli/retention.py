"""retention — deleting stored data: `delete-session`, `delete-room`, `forget-name`, `names`, `prune`.

Each works on the store of the running host in --data-dir (or --db), and prints how many rows went
from each table. What belongs to a session and how it goes is store/retention.py's (docs/privacy.md §6).
"""
import argparse
import json
from collections.abc import Mapping

from talkpuck.cli import runtime


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("delete-session", help="delete one session and every row that belongs to it")
    runtime.store_args(p)
    p.add_argument("id", help="session id (see `talkpuck sessions`)")
    p.add_argument("--force", action="store_true", help="delete it even if the puck still shows it running")
    p.set_defaults(func=run_delete_session)
    p = sub.add_parser("delete-room", help="delete one room's data: its sessions, hands, and what its pucks sent")
    runtime.store_args(p)
    p.add_argument("room", help="room name as the live view shows it")
    p.add_argument("--force", action="store_true", help="delete it even if a session still runs there")
    p.set_defaults(func=run_delete_room)
    p = sub.add_parser("forget-name", help="remove a remote participant's name wherever it is kept")
    runtime.store_args(p)
    p.add_argument("name", help="the name exactly as stored (see `talkpuck names`)")
    p.add_argument("--room", help="only in this room")
    p.set_defaults(func=run_forget_name)
    p = sub.add_parser("names", help="list the remote participants' names kept, with how many hands each")
    runtime.store_args(p)
    p.add_argument("--room", help="only in this room")
    p.set_defaults(func=run_names)
    p = sub.add_parser("prune", help="delete now what is older than the retention period (the host does it hourly)")
    runtime.store_args(p)
    p.add_argument("--retention-days", required=True, help="delete sessions and rows older than this many days")
    p.set_defaults(func=run_prune)


def _report(what: str, counts: Mapping[str, int]) -> int:
    total = sum(counts.values())
    detail = ", ".join("%s %d" % kv for kv in sorted(counts.items())) or "nothing"
    print("%s: %d rows deleted (%s)" % (what, total, detail))
    return 0


def run_delete_session(args: argparse.Namespace) -> int | None:
    return _report("session %s" % args.id, runtime.open_store(args).delete_session(args.id, force=args.force))


def run_delete_room(args: argparse.Namespace) -> int | None:
    return _report("room %s" % args.room, runtime.open_store(args).delete_room(args.room, force=args.force))


def run_forget_name(args: argparse.Namespace) -> int | None:
    n = runtime.open_store(args).forget_name(args.name, room=args.room)
    print("name %r removed from %d row(s)" % (args.name, n))
    return 0


def run_names(args: argparse.Namespace) -> int | None:
    print(json.dumps(runtime.open_store(args).remote_names(args.room), indent=1, sort_keys=True))
    return 0


def run_prune(args: argparse.Namespace) -> int | None:
    import time

    from talkpuck.service.settings import check_retention_days

    days = check_retention_days(args.retention_days)
    return _report("older than %d days" % days, runtime.open_store(args).prune(days, int(time.time() * 1000)))
