"""Module-level WSGI application for servers that import one (uwsgi)."""

from trove_lite.api import app

application = app.load_app()
