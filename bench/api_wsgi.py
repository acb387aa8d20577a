"""WSGI entry point for the vote load benchmark (bench/api_load.py): the real submission
service, configured only through ``ASHYQ_*`` environment variables, as in production.

    gunicorn -k gthread -w 2 --threads 8 --pythonpath .,bench api_wsgi:app
"""
from __future__ import annotations

from submit_api import create_app

app = create_app()
