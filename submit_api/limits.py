"""Rate limits (Flask-Limiter): per address for everything, per person for votes, proposals
and sign-in. Limits are settings (``ASHYQ_RATELIMIT_*``); a refusal is a 429 in the one error
shape, with Retry-After."""
from __future__ import annotations

from flask import current_app, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address


def person_or_address() -> str:
    """Signed-in people are limited as people (many may share one address), others by address."""
    person = session.get("person")
    return f"person:{person}" if person else f"address:{get_remote_address()}"


def setting(name: str):
    return lambda: current_app.config[name]


limiter = Limiter(key_func=get_remote_address,
                  default_limits=[setting("RATELIMIT_PER_ADDRESS")])


@limiter.request_filter
def _votes_count_their_own() -> bool:
    """Votes are limited per person in the vote writer's transaction (submit_api/vote_writer.py):
    Flask-Limiter skips them entirely (not even its per-address default)."""
    return request.endpoint in ("votes.vote_on_document", "votes.vote_on_proposal")
