"""Admin pages: CSV export, the audit log, staff accounts, erasure."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from appeals import audit, staff
from appeals import console_queries as cq

from .app import engine
from .views import admin_required

bp = Blueprint("admin", __name__)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value)
    if text[:1] == "+" and text[1:].isdigit():  # a phone number, not a formula
        return text
    return "'" + text if text.startswith(_FORMULA_START) else text  # no spreadsheet formulas


@bp.route("/export.csv")
@admin_required
def export():
    f = cq.Filters.from_args(request.args)
    audit.log(
        engine(),
        "export_csv",
        staff=current_user.as_staff(),
        detail=str(f.as_args())[:500],
        ip=request.remote_addr,
    )

    eng = engine()

    def rows():
        buf = io.StringIO()
        w = csv.writer(buf)
        buf.write("\ufeff")
        w.writerow(cq.EXPORT_FIELDS)
        for r in cq.export_rows(eng, f):
            w.writerow([_cell(r[k]) for k in cq.EXPORT_FIELDS])
            if buf.tell() > 32768:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue()

    return Response(
        rows(),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": "attachment; filename=appeals.csv"},
    )


@bp.route("/audit")
@admin_required
def audit_page():
    try:
        page = max(1, int(request.args.get("page") or 1))
    except ValueError:
        page = 1
    reference = (request.args.get("reference") or "").strip()[:20] or None
    rows, total = audit.read(engine(), page=page, reference=reference)
    audit.log(engine(), "read_audit", staff=current_user.as_staff(), ip=request.remote_addr)
    return render_template(
        "audit.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // 100)),
        reference=reference or "",
    )


@bp.route("/staff", methods=["GET", "POST"])
@admin_required
def staff_page():
    if request.method == "POST":
        try:
            staff.add_staff(
                engine(),
                request.form.get("username", ""),
                request.form.get("password", ""),
                request.form.get("role", "operator"),
                request.form.get("language", "ky"),
            )
            audit.log(
                engine(),
                "add_staff",
                staff=current_user.as_staff(),
                detail=request.form.get("username", "")[:64],
                ip=request.remote_addr,
            )
            flash("staff.created")
        except staff.AccountError:
            flash("staff.invalid")
        return redirect(url_for("admin.staff_page"))
    return render_template("staff.html", accounts=staff.list_accounts(engine()))


def _account_or_404(account_id: int):
    """The staff account the URL names; a 404 page when there is none (both account actions)."""
    row = staff.get_account(engine(), account_id)
    if row is None:
        abort(404)
    return row


@bp.route("/staff/<int:account_id>/disable", methods=["POST"])
@admin_required
def staff_disable(account_id):
    row = _account_or_404(account_id)
    disable = request.form.get("disable") == "1"
    staff.set_disabled(engine(), row["username"], disable)
    audit.log(
        engine(),
        "disable_staff" if disable else "enable_staff",
        staff=current_user.as_staff(),
        detail=row["username"],
        ip=request.remote_addr,
    )
    flash("staff.changed")
    return redirect(url_for("admin.staff_page"))


@bp.route("/staff/<int:account_id>/password", methods=["POST"])
@admin_required
def staff_password(account_id):
    row = _account_or_404(account_id)
    try:
        staff.reset_password(engine(), row["username"], request.form.get("password", ""))
        audit.log(
            engine(),
            "reset_password",
            staff=current_user.as_staff(),
            detail=row["username"],
            ip=request.remote_addr,
        )
        flash("staff.changed")
    except staff.AccountError:
        flash("staff.invalid")
    return redirect(url_for("admin.staff_page"))


@bp.route("/appeals/<reference>/erase", methods=["POST"])
@admin_required
def erase(reference):
    if not cq.erase_appeal(engine(), reference):
        abort(404)
    audit.log(
        engine(), "erase_appeal", staff=current_user.as_staff(), reference=reference, ip=request.remote_addr
    )
    flash("appeal.erased_done")
    return redirect(url_for("views.appeal_detail", reference=reference))
