"""gunicorn for the submission service: ``gunicorn -c deploy/gunicorn.conf.py submit_api.wsgi:app``.

Threads, not processes, carry the concurrency: each process has one vote writer that commits
the votes of all its threads together (submit_api/vote_writer.py). Settings from the
environment file (deploy/ashyq.env.example)."""
import os

bind = os.environ.get("ASHYQ_BIND", "127.0.0.1:8001")   # nginx's upstream; loopback only
worker_class = "gthread"
workers = int(os.environ.get("ASHYQ_WORKERS", "2"))
threads = int(os.environ.get("ASHYQ_THREADS", "8"))
timeout = 30             # a stuck request is ended (Werkzeug's server has no timeouts)
graceful_timeout = 20
keepalive = 5
max_requests = 0
accesslog = None         # nginx logs requests; the service logs no personal data
errorlog = "-"
forwarded_allow_ips = "127.0.0.1"   # gunicorn's own view; the app uses ASHYQ_TRUSTED_PROXIES
