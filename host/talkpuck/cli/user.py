"""user — `talkpuck user add/list/remove/assign/passwd`: the web's logins (admin or host, with rooms).

The first admin is made here, on the host machine (whoever can run this can read the database anyway):

    talkpuck user add alex --role admin              # prompts for the password twice
    echo "$PW" | talkpuck user add sam --role host --room "Room 1" --password-stdin
    talkpuck user add jo --role host --room "Room 2" --generate   # prints a password once
"""
import argparse
import getpass
import json
import sys
import time

from talkpuck.cli import runtime
from talkpuck.errors import ConfigError, NotFound


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("user", help="web logins: add, list, remove, assign rooms, set a password")
    us = p.add_subparsers(dest="user_command", metavar="ACTION")
    a = us.add_parser("add", help="add a user (admin: every room; host: the rooms given)")
    runtime.store_args(a)
    a.add_argument("name")
    a.add_argument("--role", choices=("admin", "host"), required=True)
    a.add_argument("--room", action="append", default=[], help="a room this host may see and run (repeatable)")
    _password_args(a)
    a.set_defaults(func=run_add)
    ls = us.add_parser("list", help="users, roles and rooms")
    runtime.store_args(ls)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=run_list)
    rm = us.add_parser("remove", help="remove a user and end their sessions")
    runtime.store_args(rm)
    rm.add_argument("name")
    rm.set_defaults(func=run_remove)
    asg = us.add_parser("assign", help="give a host rooms (--room) or take them away (--unassign)")
    runtime.store_args(asg)
    asg.add_argument("name")
    asg.add_argument("--room", action="append", default=[])
    asg.add_argument("--unassign", action="append", default=[], metavar="ROOM")
    asg.set_defaults(func=run_assign)
    pw = us.add_parser("passwd", help="set a new password (ends the user's sessions)")
    runtime.store_args(pw)
    pw.add_argument("name")
    _password_args(pw)
    pw.set_defaults(func=run_passwd)
    p.set_defaults(func=runtime.show_help(p))


def _password_args(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    g.add_argument("--generate", action="store_true", help="make a random password and print it once")


def _password(args: argparse.Namespace) -> tuple[str, str | None]:
    """The new password's hash, and the password to print (only when generated)."""
    from talkpuck.auth import hash_password, new_password
    if args.generate:
        pw = new_password()
        return hash_password(pw), pw
    if args.password_stdin:
        return hash_password(sys.stdin.readline().rstrip("\r\n")), None
    pw = getpass.getpass("password for the new login: ")
    if pw != getpass.getpass("again: "):
        raise ConfigError("the two passwords differ")
    return hash_password(pw), None


def run_add(args: argparse.Namespace) -> None:
    if args.role == "admin" and args.room:
        raise ConfigError("an admin sees every room: --room is for hosts")
    h, shown = _password(args)
    store = runtime.open_store(args)
    try:
        store.add_user(args.name, args.role, h, int(time.time() * 1000), args.room)
    finally:
        store.close()
    print("user %s added (%s%s)" % (args.name, args.role, ": " + ", ".join(args.room) if args.room else ""))
    if shown:
        print("password (shown once): %s" % shown)


def run_list(args: argparse.Namespace) -> None:
    store = runtime.open_store(args)
    try:
        rows = [{"name": u["name"], "role": u["role"], "rooms": u["rooms"]} for u in store.users() if u is not None]
    finally:
        store.close()
    if args.json:
        print(json.dumps(rows))
        return
    for u in rows:
        print("%-24s %-6s %s" % (u["name"], u["role"], "all rooms" if u["role"] == "admin" else ", ".join(u["rooms"]) or "-"))


def run_remove(args: argparse.Namespace) -> None:
    store = runtime.open_store(args)
    try:
        store.remove_user(args.name)
    finally:
        store.close()
    print("user %s removed" % args.name)


def run_assign(args: argparse.Namespace) -> None:
    store = runtime.open_store(args)
    try:
        store.assign_rooms(args.name, add=args.room, remove=args.unassign)
        user = store.user(args.name)
        if user is None:        # removed meanwhile, by another command
            raise NotFound("no such user %r" % args.name)
        rooms = user["rooms"]
    finally:
        store.close()
    print("%s: %s" % (args.name, ", ".join(rooms) or "no rooms"))


def run_passwd(args: argparse.Namespace) -> None:
    h, shown = _password(args)
    store = runtime.open_store(args)
    try:
        store.set_password(args.name, h)
    finally:
        store.close()
    print("password of %s changed; their sessions ended" % args.name)
    if shown:
        print("password (shown once): %s" % shown)
