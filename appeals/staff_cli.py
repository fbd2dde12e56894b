"""Sub-commands of ``python -m appeals`` for staff accounts and seeding."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable

from appeals import staff
from appeals.db import make_engine, migrate


def _password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise staff.AccountError("the passwords differ")
    return first


def _engine(url):
    migrate(url)
    return make_engine(url)


def _account_change(change: Callable[[], object], done: str) -> int:
    """Run one change to a staff account and say how it went, the same way for every command.

    An :class:`staff.AccountError` (unknown name, weak password, ...) is the user's to fix: it
    is printed on stderr and the exit code is 2; otherwise ``done`` is printed."""
    try:
        change()
    except staff.AccountError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(done)
    return 0


def _add(args, url) -> int:
    engine = _engine(url)
    return _account_change(
        lambda: staff.add_staff(engine, args.name, _password(args), args.role, args.language),
        f"account {args.name.strip().lower()} ({args.role}) created",
    )


def _disable(args, url) -> int:
    return _account_change(
        lambda: staff.set_disabled(_engine(url), args.name, not args.enable),
        "account {} {}".format(args.name, "enabled" if args.enable else "disabled"),
    )


def _reset(args, url) -> int:
    return _account_change(
        lambda: staff.reset_password(_engine(url), args.name, _password(args)),
        f"password of {args.name} changed; its sessions are signed out",
    )


def _seed(args, url) -> int:
    from appeals.seed import seed

    n = seed(_engine(url), args.n)
    print(f"{n} synthetic appeals added")
    return 0


def add_parsers(sub) -> None:
    a = sub.add_parser("add-staff", help="create a staff account for the web console")
    a.add_argument("name")
    a.add_argument("--role", choices=staff.ROLES, default="operator")
    a.add_argument("--language", choices=staff.LANGUAGES, default="ky")
    a.add_argument("--password-stdin", action="store_true")
    a.set_defaults(staff_command=_add)
    d = sub.add_parser("disable-staff", help="disable (or --enable) a staff account")
    d.add_argument("name")
    d.add_argument("--enable", action="store_true")
    d.set_defaults(staff_command=_disable)
    r = sub.add_parser("reset-password", help="set a new password for a staff account")
    r.add_argument("name")
    r.add_argument("--password-stdin", action="store_true")
    r.set_defaults(staff_command=_reset)
    s = sub.add_parser("seed", help="add N synthetic appeals (development, benchmark)")
    s.add_argument("n", type=int)
    s.set_defaults(staff_command=_seed)
