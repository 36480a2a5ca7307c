"""A WSGI entry point for servers configured by import string, e.g.
``gunicorn --threads 8 'api.wsgi:app'`` (``vitrine serve`` does the same without one).

Building the app loads the model and opens the store, so this module does that work
when imported; nothing else imports it.
"""

from __future__ import annotations

from api.app import create_app, tune_server_process, warm_vector_cache
from api.ingest import start_embedded_workers
from settings.api import ApiSettings

tune_server_process(ApiSettings.from_env())
app = create_app()
warm_vector_cache(app)
start_embedded_workers(app)
