"""The staff console: a Flask 3 application factory.

Configuration (environment only; secrets are never in files):

``CONSOLE_SECRET_KEY``     required: signs the session cookie and CSRF tokens
``DATABASE_URL``           the appeals database (default: SQLite appeals.db)
``CONSOLE_SECURE_COOKIES`` 1 behind HTTPS: cookies get the Secure flag
``TELEGRAM_BOT_TOKEN``     to fetch attachments through the Bot API (getFile)
``TELEGRAM_API_BASE_URL``  default https://api.telegram.org/bot
``CONSOLE_REGISTRATION_DAYS`` / ``CONSOLE_ANSWER_DAYS``  internal deadlines (3 / 30)
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask, g, render_template, request
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from markupsafe import Markup

from appeals import staff as staff_accounts
from appeals.config import database_url
from appeals.db import make_engine, migrate

from . import i18n

HERE = Path(__file__).resolve().parent
csrf = CSRFProtect()
login_manager = LoginManager()


class StaffUser:
    """Flask-Login user from a ``staff_accounts`` row."""

    def __init__(self, row: dict):
        self.row = row
        self.id = row["id"]
        self.username = row["username"]
        self.role = row["role"]
        self.language = row["language"]
        self.is_admin = row["role"] == "admin"

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        # the password change time is part of the id: a reset signs every session out
        return f"{self.id}:{self.row['password_changed_at'].timestamp()}"

    def as_staff(self) -> dict:
        return {"id": self.id, "username": self.username}


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, static_folder=None, template_folder=str(HERE / "templates"))
    secret = os.environ.get("CONSOLE_SECRET_KEY", "")
    app.config.update(
        SECRET_KEY=secret,
        DATABASE_URL=database_url(),
        SESSION_COOKIE_NAME="akc_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("CONSOLE_SECURE_COOKIES") == "1",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        MAX_CONTENT_LENGTH=64 * 1024,
        TELEGRAM_BOT_TOKEN=os.environ.get("TELEGRAM_BOT_TOKEN", ""),
        TELEGRAM_API_BASE_URL=os.environ.get("TELEGRAM_API_BASE_URL", "https://api.telegram.org/bot"),
    )
    if config:
        app.config.update(config)
    if len(app.config["SECRET_KEY"] or "") < 16:
        raise RuntimeError("set CONSOLE_SECRET_KEY (at least 16 characters) in the environment")

    migrate(app.config["DATABASE_URL"])
    app.extensions["appeals_engine"] = make_engine(app.config["DATABASE_URL"])
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        try:
            account_id, stamp = user_id.split(":", 1)
            row = staff_accounts.get_account(app.extensions["appeals_engine"], int(account_id))
        except (ValueError, TypeError):
            return None
        if row is None or row["disabled"] or str(row["password_changed_at"].timestamp()) != stamp:
            return None
        return StaffUser(row)

    @login_manager.unauthorized_handler
    def unauthorized():
        from flask import redirect, url_for

        if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
            return {"error": "sign-in required"}, 401
        return redirect(url_for("auth.login", next=request.path))

    css = (HERE / "static" / "console.css").read_text(encoding="utf-8")

    def _nonce() -> str:
        if "csp_nonce" not in g:
            g.csp_nonce = secrets.token_urlsafe(16)
        return g.csp_nonce

    def lang() -> str:
        if current_user.is_authenticated:
            return current_user.language
        from flask import session

        return session.get("lang") or i18n.DEFAULT_LANGUAGE

    @app.context_processor
    def _helpers():
        language = lang()
        return {
            "t": lambda key, **kw: i18n.t(language, key, **kw),
            "label": lambda group, code: i18n.label(language, group, code),
            "lang": language,
            "inline_css": Markup('<style nonce="%s">%s</style>') % (_nonce(), Markup(css)),
        }

    @app.after_request
    def _headers(resp):
        resp.headers.setdefault(
            "Content-Security-Policy",
            f"default-src 'none'; style-src 'nonce-{_nonce()}'; img-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'",
        )
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["X-Frame-Options"] = "DENY"
        if "Cache-Control" not in resp.headers:
            resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.errorhandler(CSRFError)
    def _csrf(e):
        return render_template("error.html", message_key="error.csrf"), 400

    @app.errorhandler(403)
    def _forbidden(e):
        return render_template("error.html", message_key="error.forbidden"), 403

    @app.errorhandler(404)
    def _not_found(e):
        return render_template("error.html", message_key="error.not_found"), 404

    @app.errorhandler(400)
    def _bad(e):
        return render_template("error.html", message_key="error.bad_request"), 400

    from .admin import bp as admin_bp
    from .auth import bp as auth_bp
    from .views import bp as views_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(views_bp)
    app.register_blueprint(admin_bp)
    return app


def engine():
    from flask import current_app

    return current_app.extensions["appeals_engine"]
