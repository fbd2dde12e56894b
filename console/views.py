"""Operator pages: the list, an appeal, a status change, attachments, figures."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user, login_required

from appeals import audit, history
from appeals import console_queries as cq
from appeals.console_filters import MIN_SEARCH, searchable
from appeals.store import AppealNotFound
from core.appeal import CATEGORIES, REGIONS, STATUSES
from core.labels import status_news
from core.language import LANGUAGES

from . import attachments
from .app import engine

bp = Blueprint("views", __name__)


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def _me():
    return current_user.as_staff()


def _filter_detail(f: cq.Filters) -> str:
    return json.dumps(f.as_args(), ensure_ascii=False)[:500]


def _filtered_read(action: str, query: Callable[[Any, cq.Filters], Any]) -> tuple[cq.Filters, Any]:
    """The URL's filters and ``query`` run on them, the reading audited as ``action``.

    The pages that show filtered appeals (list, figures) log the same way what they read."""
    f = cq.Filters.from_args(request.args)
    result = query(engine(), f)
    audit.log(engine(), action, staff=_me(), detail=_filter_detail(f), ip=request.remote_addr)
    return f, result


@bp.route("/")
@login_required
def index():
    return redirect(url_for("views.appeal_list"))


@bp.route("/appeals")
@login_required
def appeal_list():
    f, page = _filtered_read("list", cq.list_appeals)
    return render_template(
        "list.html",
        f=f,
        page=page,
        statuses=STATUSES,
        regions=REGIONS,
        categories=CATEGORIES,
        languages=LANGUAGES,
        searchable=searchable(f.q),
        min_search=MIN_SEARCH,
        count_cap=cq.COUNT_CAP,
    )


@bp.route("/appeals/<reference>")
@login_required
def appeal_detail(reference):
    appeal = cq.get_appeal(engine(), reference)
    if appeal is None:
        abort(404)
    audit.log(engine(), "open_appeal", staff=_me(), reference=reference, ip=request.remote_addr)
    try:
        attachments = json.loads(appeal["attachments"] or "[]")
    except ValueError:
        attachments = []
    return render_template(
        "detail.html",
        a=appeal,
        attachments=attachments,
        events=history.events_for(engine(), appeal["id"]),
        statuses=STATUSES,
        overdue=cq.is_overdue(appeal),
        answer_due=cq.answer_due(appeal),
    )


@bp.route("/appeals/<reference>/status", methods=["POST"])
@login_required
def change_status(reference):
    status = request.form.get("status")
    note = (request.form.get("note") or "")[: history.NOTE_MAX]
    if status not in STATUSES:
        abort(400)
    try:
        event = history.change_status(
            engine(), reference, status, note, _me(), status_news, ip=request.remote_addr
        )
    except AppealNotFound:
        abort(404)
    flash("appeal.saved" if event else "appeal.nothing")
    return redirect(url_for("views.appeal_detail", reference=reference))


@bp.route("/appeals/<reference>/attachments/<int:index>")
@login_required
def attachment(reference, index):
    appeal = cq.get_appeal(engine(), reference)
    if appeal is None:
        abort(404)
    try:
        item = json.loads(appeal["attachments"] or "[]")[index]
    except (ValueError, IndexError, TypeError):
        abort(404)
    if not isinstance(item, dict) or not item.get("file_id"):
        abort(404)
    download = request.args.get("download") == "1"
    audit.log(
        engine(),
        "attachment_download" if download else "attachment_view",
        staff=_me(),
        reference=reference,
        detail=f"#{index}",
        ip=request.remote_addr,
    )
    try:
        fetched = attachments.fetch(
            current_app.config["TELEGRAM_BOT_TOKEN"],
            current_app.config["TELEGRAM_API_BASE_URL"],
            item,
            index,
            download,
        )
    except attachments.FetchFailed as error:
        current_app.logger.warning("attachment of %s not fetched: %s", reference, error)
        return render_template("error.html", message_key="error.attachment"), 502
    headers = {
        "Content-Disposition": fetched.disposition,
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "no-store",
    }
    if fetched.length is not None:
        headers["Content-Length"] = str(fetched.length)
    return Response(stream_with_context(fetched.chunks), mimetype=fetched.content_type, headers=headers)


@bp.route("/figures")
@login_required
def figures():
    f, data = _filtered_read("figures", cq.figures)
    return render_template("figures.html", d=data, f=f)
