"""The WSGI entry point for production: ``gunicorn submit_api.wsgi:app`` (deploy/).

Configured by ``ASHYQ_*`` environment variables only (deploy/ashyq.env.example). Serves
``/api/`` and ``/office/``; nginx serves the static site itself."""
from __future__ import annotations

from submit_api import create_app

app = create_app()
