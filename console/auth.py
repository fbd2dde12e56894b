"""Sign-in, sign-out, the staff member's language."""

from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from appeals import audit, staff

from . import i18n
from .app import StaffUser, engine

bp = Blueprint("auth", __name__)


def _safe_next(target: str) -> str:
    parsed = urlparse(target or "")
    if parsed.scheme or parsed.netloc or not (target or "").startswith("/") or target.startswith("//"):
        return url_for("views.appeal_list")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("views.appeal_list"))
    if request.args.get("lang") in i18n.LANGUAGES:
        session["lang"] = request.args["lang"]
    error = None
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()[:64]
        account, reason = staff.authenticate(engine(), username, request.form.get("password") or "")
        audit.log(
            engine(),
            "sign_in" if account else "sign_in_failed",
            staff=account,
            username=username,
            detail=None if account else reason,
            ip=request.remote_addr,
        )
        if account is not None:
            session.clear()
            login_user(StaffUser(account))
            session.permanent = True
            return redirect(_safe_next(request.args.get("next", "")))
        error = "login.locked" if reason == "locked" else "login.bad"
    return render_template("login.html", error=error), (401 if error else 200)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    audit.log(engine(), "sign_out", staff=current_user.as_staff(), ip=request.remote_addr)
    language = current_user.language
    logout_user()
    session.clear()
    session["lang"] = language
    return redirect(url_for("auth.login", out=1))


@bp.route("/language", methods=["POST"])
@login_required
def language():
    choice = request.form.get("language")
    if choice not in i18n.LANGUAGES:
        abort(400)
    staff.set_language(engine(), current_user.id, choice)
    return redirect(_safe_next(request.form.get("next", "")))
