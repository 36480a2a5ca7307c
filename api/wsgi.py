"""A WSGI entry point for servers configured by import string, e.g.
``gunicorn --threads 8 'api.wsgi:app'`` (``vitrine serve`` does the same without one).

Building the app loads the model and opens the store, so this module does that work
when imported; nothing else imports it.
"""

from __future__ import annotations

from api.app import create_app
from api.ingest import start_embedded_workers

app = create_app()
start_embedded_workers(app)
