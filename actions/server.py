"""The action server: rasa-sdk's app, closed to everyone but Rasa, on loopback by default.

Start it with the project's entry point (``make actions``, ``devserver``, the container)::

    python -m actions [--port 5055]          # rasa-sdk's options: --actions, --cors, --ssl-…

* **Authentication.**  Every request but ``GET /health`` must carry
  ``Authorization: Bearer $ACTION_SERVER_TOKEN``, the header Rasa sends from the
  ``action_endpoint`` of ``endpoints.yml``; anything else gets 401 before an action runs.
  The server refuses to start without a token, with a placeholder of ``deploy/.env.example``
  or with one shorter than 24 characters (the rules of ``deploy/rasa-entrypoint.sh``).
  In development ``devserver`` and the Makefile make one up and hand it to both processes.
* **Binding.**  ``ACTION_HOST`` (else ``SANIC_HOST``, else ``127.0.0.1``): only loopback
  unless said otherwise (the container says ``0.0.0.0`` on its private network).
* **No leaks.**  rasa-sdk's own error handler answers with the exception text and the whole
  request (the tracker, with names and phone numbers); here an error answers its status
  and one word, and is logged by class only.

Plain ``rasa run actions`` is not the supported way, but it is not an open door either:
importing this module (rasa-sdk imports every module of the ``actions`` package while it
builds its app) registers the same protection as a rasa-sdk plugin and makes loopback the
default binding, so that command too refuses to start without a valid token.
"""

from __future__ import annotations

import hmac
import logging
import os
import sys
from collections.abc import Mapping
from typing import Any, Optional

import pluggy
from rasa_sdk import endpoint as sdk
from rasa_sdk import utils as sdk_utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.plugin import plugin_manager

logger = logging.getLogger(__name__)

TOKEN_ENV = "ACTION_SERVER_TOKEN"
HOST_ENV = "ACTION_HOST"
DEFAULT_HOST = "127.0.0.1"
MIN_TOKEN_LENGTH = 24
PLACEHOLDERS = ("change-me", "changeme", "change_me")
OPEN_PATHS = frozenset({"/health"})
#: Rasa's action calls carry the tracker; 20 MB is far above a long conversation.
MAX_REQUEST_BYTES = 20 * 1024 * 1024
EXIT_CONFIG = 64
PLUGIN_NAME = "akyikatchy-protection"

hookimpl = pluggy.HookimplMarker("rasa_sdk")


class ConfigurationError(RuntimeError):
    """The server must not start like this (the message says why, without the secret)."""


def server_token(environ: Mapping[str, str] = os.environ) -> str:
    token = environ.get(TOKEN_ENV, "")
    if not token.strip():
        raise ConfigurationError(
            f"{TOKEN_ENV} is not set: the action server only answers Rasa with that shared secret "
            "(make actions and devserver generate one; in production set it, e.g. openssl rand -hex 32)"
        )
    if any(p in token.lower() for p in PLACEHOLDERS):
        raise ConfigurationError(f"{TOKEN_ENV} still holds the placeholder of deploy/.env.example")
    if len(token) < MIN_TOKEN_LENGTH:
        raise ConfigurationError(f"{TOKEN_ENV} is shorter than {MIN_TOKEN_LENGTH} characters")
    return token


def bind_host(environ: Mapping[str, str] = os.environ) -> str:
    return (environ.get(HOST_ENV) or environ.get("SANIC_HOST") or DEFAULT_HOST).strip()


def authorized(header: Optional[str], token: str) -> bool:
    """``header`` is ``Bearer <token>`` (the scheme in any case); constant-time comparison."""
    scheme, _, given = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return False
    try:
        return hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8"))
    except UnicodeError:
        return False


def secure_app(app: Any, token: str) -> Any:
    """Add the authentication middleware and a non-leaking error handler (once per app)."""
    if getattr(app.ctx, "akyikatchy_secured", False):
        return app
    app.ctx.akyikatchy_secured = True
    app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES

    async def authenticate(request):
        if request.path in OPEN_PATHS and request.method in ("GET", "HEAD"):
            return None
        if authorized(request.headers.get("Authorization"), token):
            return None
        logger.warning("Refused an unauthenticated %s %s", request.method, request.path[:100])
        return sdk.response.json(
            {"error": "unauthorized"},
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="akyikatchy-actions"'},
        )

    async def on_error(request, exception: Exception):
        status = getattr(exception, "status_code", 500)
        status = status if isinstance(status, int) and 400 <= status < 600 else 500
        if status >= 500:
            logger.error("Action call failed: %s", type(exception).__name__)
        return sdk.response.json(
            {"error": "internal error" if status >= 500 else "bad request"}, status=status
        )

    app.on_request(authenticate)
    app.exception(Exception)(on_error)
    return app


class _Protection:
    """rasa-sdk plugin: protects the app however rasa-sdk was started."""

    @staticmethod
    @hookimpl
    def attach_sanic_app_extensions(app: Any) -> None:
        try:
            token = server_token()
        except ConfigurationError as error:
            logger.error("action server not started: %s", error)
            raise SystemExit(EXIT_CONFIG) from None
        secure_app(app, token)


def _install_for_plain_rasa_sdk() -> None:
    manager = plugin_manager()
    if manager.get_plugin(PLUGIN_NAME) is None:
        manager.register(_Protection, name=PLUGIN_NAME)
    # rasa-sdk reads SANIC_HOST (default 0.0.0.0) after importing the actions.
    os.environ["SANIC_HOST"] = bind_host()


_install_for_plain_rasa_sdk()


def main(argv: Optional[list[str]] = None) -> int:
    parser = sdk.create_argument_parser()
    parser.prog = "python -m actions"
    args = parser.parse_args(argv)
    try:
        token = server_token()
    except ConfigurationError as error:
        print(f"action server: {error}", file=sys.stderr)
        return EXIT_CONFIG
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    sdk_utils.configure_colored_logging(args.loglevel)
    sdk_utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME),
        args.log_file,
        args.loglevel,
        args.logging_config_file,
    )
    sdk_utils.update_sanic_log_level()

    app = sdk.create_app(args.actions or "actions", cors_origins=args.cors, auto_reload=args.auto_reload)
    secure_app(app, token)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)  # other rasa-sdk plugins, if any
    ssl_context = sdk.create_ssl_context(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    host = bind_host()
    logger.info("Action server on %s://%s:%s", "https" if ssl_context else "http", host, args.port)
    app.run(host, args.port, ssl=ssl_context, workers=sdk_utils.number_of_sanic_workers())
    return 0
