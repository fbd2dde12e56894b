"""WSGI entry point for gunicorn: ``gunicorn 'console.wsgi:app'``."""

from .app import create_app

app = create_app()
