"""Staff accounts: scrypt password hashes, roles, disabling, sign-in with a lock after
repeated failures.

Hash format: ``scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>`` (``hashlib.scrypt``, 16 MiB of
memory per hash with the defaults).  Sign-in: after ``MAX_FAILED`` wrong passwords in a
row the account is locked for ``LOCK_MINUTES``; an unknown user costs the same hash
computation as a known one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from datetime import datetime, timedelta, timezone
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from appeals.console_schema import staff_accounts
from core.language import LANGUAGES

ROLES = ("operator", "admin")
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD = 10
MAX_FAILED = int(os.environ.get("CONSOLE_MAX_FAILED_SIGNINS", "5"))
LOCK_MINUTES = int(os.environ.get("CONSOLE_LOCK_MINUTES", "15"))


class AccountError(ValueError):
    """Invalid account operation (message safe to show to the admin)."""


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        maxmem=64 * 1024 * 1024,
        dklen=32,
    )
    salt_b64, digest_b64 = base64.b64encode(salt).decode(), base64.b64encode(digest).decode()
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt_b64}${digest_b64}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=64 * 1024 * 1024,
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


_DUMMY_HASH = hash_password(f"not-a-password-{os.getpid()}")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")


def add_staff(
    engine: Engine, username: str, password: str, role: str = "operator", language: str = "ky"
) -> int:
    username = (username or "").strip().lower()
    if not username or len(username) > 64 or not all(c.isalnum() or c in "._-" for c in username):
        raise AccountError("a username is 1-64 letters, digits, dots, hyphens or underscores")
    if role not in ROLES:
        raise AccountError("role must be operator or admin")
    if language not in LANGUAGES:
        raise AccountError("language must be one of: " + ", ".join(LANGUAGES))
    _check_password(password)
    now = _now()
    with engine.begin() as conn:
        if conn.execute(sa.select(staff_accounts.c.id).where(staff_accounts.c.username == username)).first():
            raise AccountError(f"an account {username} exists already")
        result = conn.execute(
            staff_accounts.insert().values(
                username=username,
                password_hash=hash_password(password),
                role=role,
                language=language,
                disabled=False,
                failed_count=0,
                created_at=now,
                password_changed_at=now,
            )
        )
        return int(result.inserted_primary_key[0])


def set_disabled(engine: Engine, username: str, disabled: bool = True) -> None:
    with engine.begin() as conn:
        n = conn.execute(
            staff_accounts.update()
            .where(staff_accounts.c.username == username.strip().lower())
            .values(disabled=disabled)
        ).rowcount
    if not n:
        raise AccountError(f"no account {username}")


def reset_password(engine: Engine, username: str, password: str) -> None:
    _check_password(password)
    with engine.begin() as conn:
        n = conn.execute(
            staff_accounts.update()
            .where(staff_accounts.c.username == username.strip().lower())
            .values(
                password_hash=hash_password(password),
                failed_count=0,
                locked_until=None,
                password_changed_at=_now(),
            )
        ).rowcount
    if not n:
        raise AccountError(f"no account {username}")


def get_account(engine: Engine, account_id: int) -> Optional[dict]:
    with engine.begin() as conn:
        row = (
            conn.execute(sa.select(staff_accounts).where(staff_accounts.c.id == account_id))
            .mappings()
            .first()
        )
    return dict(row) if row else None


def list_accounts(engine: Engine) -> list:
    with engine.begin() as conn:
        return [
            dict(r)
            for r in conn.execute(sa.select(staff_accounts).order_by(staff_accounts.c.username)).mappings()
        ]


def set_language(engine: Engine, account_id: int, language: str) -> None:
    if language not in LANGUAGES:
        raise AccountError("language must be one of: " + ", ".join(LANGUAGES))
    with engine.begin() as conn:
        conn.execute(
            staff_accounts.update().where(staff_accounts.c.id == account_id).values(language=language)
        )


def authenticate(engine: Engine, username: str, password: str, now: Optional[datetime] = None):
    """(account dict or None, reason): reason is ``ok``, ``bad``, ``locked`` or ``disabled``."""
    now = now or _now()
    username = (username or "").strip().lower()[:64]
    with engine.begin() as conn:
        row = (
            conn.execute(sa.select(staff_accounts).where(staff_accounts.c.username == username))
            .mappings()
            .first()
        )
    if row is None:
        verify_password(password or "", _DUMMY_HASH)  # same cost as a real account
        return None, "bad"
    if row["locked_until"] is not None and row["locked_until"] > now:
        return None, "locked"
    ok = verify_password(password or "", row["password_hash"])
    with engine.begin() as conn:
        if ok:
            conn.execute(
                staff_accounts.update()
                .where(staff_accounts.c.id == row["id"])
                .values(failed_count=0, locked_until=None)
            )
        else:
            values = {"failed_count": staff_accounts.c.failed_count + 1}
            if row["failed_count"] + 1 >= MAX_FAILED:
                values["locked_until"] = now + timedelta(minutes=LOCK_MINUTES)
            conn.execute(staff_accounts.update().where(staff_accounts.c.id == row["id"]).values(**values))
    if not ok:
        return None, "bad"
    if row["disabled"]:
        return None, "disabled"
    return dict(row), "ok"
