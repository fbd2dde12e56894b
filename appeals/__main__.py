"""Staff command line for the appeals database (uses ``DATABASE_URL``).

    python -m appeals list [--json]
    python -m appeals set-status AK-2026-000001 in_review [--note TEXT]
    python -m appeals migrate
    python -m appeals add-staff NAME [--role operator|admin] [--language ky|ru]
    python -m appeals disable-staff NAME [--enable]
    python -m appeals reset-password NAME
    python -m appeals seed N

Passwords are read from the terminal, or from standard input with ``--password-stdin``.
A status change is recorded as the staff console records it: history, the citizen's
notification (sent by ``python -m notifier``) and the audit log.

Exit codes: 0 ok, 2 usage error, 1 storage error (one line on stderr).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Optional

from appeals.config import database_url
from appeals.db import StorageError, migrate
from appeals.store import AppealNotFound, AppealStore
from appeals.terminal import safe_cell, safe_json
from core.appeal import STATUSES

EXIT_OK, EXIT_STORAGE, EXIT_USAGE = 0, 1, 2

TABLE_COLUMNS = (
    ("reference", "reference"),
    ("status", "status"),
    ("created_at", "created"),
    ("language", "lang"),
    ("region", "region"),
    ("category", "category"),
    ("late", "late"),
    ("full_name", "name"),
    ("phone", "phone"),
)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m appeals", description="Akyikatchy appeals database (DATABASE_URL)."
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    ls = sub.add_parser("list", help="print every stored appeal")
    ls.add_argument("--json", action="store_true", help="as a JSON array")
    st = sub.add_parser("set-status", help="change the status of an appeal")
    st.add_argument("reference", help="e.g. AK-2026-000001")
    st.add_argument("status", choices=STATUSES)
    st.add_argument("--note", default=None, help="a note sent to the citizen with the news")
    sub.add_parser("migrate", help="upgrade the database schema to the latest version")
    from appeals.staff_cli import add_parsers

    add_parsers(sub)
    return p


def _write(text: str) -> None:
    data = text.encode("utf-8")
    out = getattr(sys.stdout, "buffer", None)
    if out is not None:
        sys.stdout.flush()
        out.write(data)
        out.flush()
    else:  # e.g. a StringIO in tests
        sys.stdout.write(text)


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return safe_cell(str(value).replace("\n", " "))  # citizens' text: no terminal escapes


def _table(rows: list[dict]) -> str:
    if not rows:
        return "no appeals\n"
    header = [title for _, title in TABLE_COLUMNS]
    body = [[_cell(r.get(key)) for key, _ in TABLE_COLUMNS] for r in rows]
    widths = [max(len(row[i]) for row in [header] + body) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip() for row in [header] + body
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(f"{len(rows)} appeal(s)")
    return "\n".join(lines) + "\n"


def _actor() -> str:
    """Who changed a status from the shell, for the audit log."""
    try:
        return "cli:" + getpass.getuser()[:32]
    except (KeyError, OSError):
        return "cli"


def main(argv: Optional[list[str]] = None) -> int:
    args = _parser().parse_args(argv)  # exits 2 on usage errors
    url = database_url()
    try:
        if args.command == "migrate":
            revision = migrate(url)
            _write(f"database schema at revision {revision}\n")
            return EXIT_OK
        if hasattr(args, "staff_command"):
            return args.staff_command(args, url)
        with AppealStore(url) as store:
            if args.command == "list":
                rows = store.list_appeals()
                if args.json:
                    _write(safe_json(rows, indent=2) + "\n")
                else:
                    _write(_table(rows))
                return EXIT_OK
            if args.command == "set-status":
                try:
                    store.set_status(args.reference, args.status, note=args.note, actor=_actor())
                except AppealNotFound:
                    print(f"error: no appeal {args.reference.strip().upper()}", file=sys.stderr)
                    return EXIT_STORAGE
                _write(f"{args.reference.strip().upper()}: {args.status}\n")
                return EXIT_OK
    except StorageError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_STORAGE
    except ValueError as e:  # e.g. an unsupported DATABASE_URL
        print(f"error: {e}", file=sys.stderr)
        return EXIT_STORAGE
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
