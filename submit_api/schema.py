"""The OpenAPI 3.1 document of the service, at ``/api/openapi.json``.

Every route is described here; a test fails when a route has no description (so the
document cannot fall behind the code).
"""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("schema", __name__)

ERROR = {"$ref": "#/components/responses/Error"}
JSON = "application/json"


def _body(schema: dict, required: list[str]) -> dict:
    return {"required": True, "content": {JSON: {"schema": {
        "type": "object", "properties": schema, "required": required}}}}


def _ok(description: str, schema: dict | None = None) -> dict:
    response = {"description": description}
    if schema:
        response["content"] = {JSON: {"schema": schema}}
    return response


UID = {"name": "uid", "in": "path", "required": True, "schema": {"type": "string"},
       "description": "Unique number of a passport or report, as in the manifest"}
PROPOSAL_ID = {"name": "proposal_id", "in": "path", "required": True, "schema": {"type": "integer"}}
CSRF = {"name": "X-CSRFToken", "in": "header", "required": True, "schema": {"type": "string"},
        "description": "From GET /api/csrf"}
VOTE = _body({"value": {"enum": ["for", "against"]}}, ["value"])
TOTALS = {"type": "object", "properties": {"for": {"type": "integer"}, "against": {"type": "integer"}}}
ERRORS = {"400": ERROR, "401": ERROR, "404": ERROR, "409": ERROR, "422": ERROR, "429": ERROR}


def _post(summary: str, body: dict | None, ok: dict, params=(), status: str = "200",
          rule: str | None = None) -> dict:
    op = {"summary": summary, "parameters": [*params, CSRF], "responses": {status: ok, **ERRORS}}
    if body:
        op["requestBody"] = body
    if rule:
        op["x-rule"] = rule
    return {"post": op}


PATHS = {
    "/api/health": {"get": {"summary": "Liveness", "responses": {"200": _ok("Alive")}}},
    "/api/openapi.json": {"get": {"summary": "This document", "responses": {"200": _ok("OpenAPI")}}},
    "/api/csrf": {"get": {"summary": "A CSRF token for state-changing requests",
                          "responses": {"200": _ok("Token", {"type": "object", "properties": {
                              "csrf_token": {"type": "string"}}})}}},
    "/api/auth/challenge": {"get": {
        "summary": "A one-time XML sign-in challenge (nonce, issue time, audience), valid 5 minutes",
        "x-rule": "R13",
        "responses": {"200": _ok("Challenge", {"type": "object", "properties": {
            "challenge": {"type": "string"}, "expires_in": {"type": "integer"}}}), "429": ERROR}}},
    "/api/auth/eds": _post(
        "Sign in with the challenge signed by NCALayer (authentication key)",
        _body({"signed_xml": {"type": "string"}}, ["signed_xml"]),
        _ok("Signed in; a session cookie is set"), rule="R13"),
    "/api/auth/demo-sign": _post(
        "DEVELOPMENT ONLY (ASHYQ_DEMO_SIGNER): sign a challenge with a demo certificate",
        _body({"challenge": {"type": "string"}, "person": {"type": "integer", "minimum": 1,
                                                           "maximum": 5}}, ["challenge"]),
        _ok("Signed challenge")),
    "/api/auth/logout": _post("Sign out", None, _ok("Signed out")),
    "/api/me": {"get": {"summary": "Whether the caller is signed in, and as a person or as an "
                                   "organisation (a legal person's key, paragraph 2(1))",
                        "responses": {"200": _ok("Session state")}}},
    "/api/me/proposals": {"get": {"summary": "The caller's proposals with decisions and answers",
                                  "x-rule": "R15, R16",
                                  "responses": {"200": _ok("Proposals"), "401": ERROR}}},
    "/api/documents/{uid}/votes": _post("Vote for or against a document", VOTE,
                                        _ok("Vote recorded", {"type": "object"}), [UID], rule="R11"),
    "/api/documents/{uid}/totals": {"get": {
        "summary": "Live vote totals of a document and of its published proposals",
        "parameters": [UID], "x-rule": "R11",
        "responses": {"200": _ok("Totals", {"type": "object", "properties": {
            "votes": TOTALS, "proposals": {"type": "object", "additionalProperties": TOTALS}}}),
            "404": ERROR}}},
    "/api/documents/{uid}/proposals": _post(
        "Send a proposal on a structural part (at most 1000 user-perceived characters, "
        "graphemes, R14)",
        _body({"part": {"type": "string"}, "text": {"type": "string", "x-max-graphemes": 1000},
               "lang": {"enum": ["kk", "ru"]}}, ["part", "text", "lang"]),
        _ok("Proposal accepted for moderation", {"type": "object", "properties": {
            "id": {"type": "integer"}, "status": {"const": "pending"},
            "moderation_due": {"type": "string", "format": "date"},
            "receipt": {"type": "string", "description": "JWS signed by the portal: text hash, "
                        "document, part, time, number (issue 15)"}}}),
        [UID], status="201", rule="R14"),
    "/api/receipts/verify": {"post": {
        "summary": "Check a proposal receipt against its text (anyone; no sign-in, no CSRF)",
        "x-rule": "R14",
        "requestBody": _body({"receipt": {"type": "string"}, "text": {"type": "string"}},
                             ["receipt", "text"]),
        "responses": {"200": _ok("The receipt is the portal's and fits the text",
                                 {"type": "object"}), "400": ERROR, "422": ERROR,
                      "429": ERROR}}},
    "/api/office/queue": {"get": {
        "summary": "Staff queues: pending proposals for the operator (due in 2 working days, R15); "
                   "published proposals on one's administrator's documents (due by discussion end, R16)",
        "parameters": [{"name": "answered", "in": "query", "schema": {"enum": ["1"]},
                        "description": "Include answered proposals"}],
        "responses": {"200": _ok("Queues"), "401": ERROR, "403": ERROR}}},
    "/api/office/reasons": {"get": {"summary": "The catalogue of standard reasons (kk, ru)",
                                    "responses": {"200": _ok("Reasons")}}},
    "/api/office/proposals/{proposal_id}/moderation": _post(
        "Operator: publish, or refuse on one or more grounds of paragraph 14 (obscene, insult, "
        "advertising, spam, off_topic, too_long) with a justification in words; an unknown "
        "ground is a 400 (R15)",
        _body({"decision": {"enum": ["publish", "refuse"]},
               "grounds": {"type": "array", "items": {"enum": [
                   "obscene", "insult", "advertising", "spam", "off_topic", "too_long"]}},
               "reason": {"type": "string", "description": "one ground (older clients)"},
               "text": {"type": "string"}}, ["decision"]),
        _ok("Decided"), [PROPOSAL_ID], rule="R15"),
    "/api/office/proposals/{proposal_id}/answer": _post(
        "Administrator staff: accept or reject a published proposal, with a justification",
        _body({"decision": {"enum": ["accept", "reject"]}, "text": {"type": "string"}},
              ["decision", "text"]),
        _ok("Answered"), [PROPOSAL_ID], rule="R16"),
    "/api/office/staff": {
        "get": {"summary": "Active staff roles (a lead: its own administrator's)", "x-rule": "R8",
                "responses": {"200": _ok("Staff"), "401": ERROR, "403": ERROR}},
        **_post("Lead: grant an employee role for its administrator", _body(
            {"iin": {"type": "string", "pattern": "^[0-9]{12}$"}, "role": {"const": "employee"},
             "administrator": {"type": "string"}}, ["iin", "role", "administrator"]),
            _ok("Granted"), status="201", rule="R8")},
    "/api/office/staff/revoke": _post("Lead: revoke an employee role", _body(
        {"iin": {"type": "string"}, "role": {"type": "string"}, "administrator": {"type": "string"}},
        ["iin", "role"]), _ok("Revoked"), rule="R8"),
    "/api/office/audit": {"get": {"summary": "The audit log, newest first, and the chain check",
                                  "responses": {"200": _ok("Entries"), "401": ERROR, "403": ERROR}}},
    "/api/office/audit.csv": {"get": {"summary": "The whole audit log as CSV",
                                      "responses": {"200": {"description": "CSV"}}}},
    "/api/proposals/{proposal_id}/votes": _post("Vote for or against a published proposal", VOTE,
                                                _ok("Vote recorded"), [PROPOSAL_ID], rule="R11"),
    "/api/ingest/budget-reporting": {"post": {
        "summary": "Central body's systems: send budget execution (CSV, XLSX or JSON file as the "
                   "body); refused whole, with every row's problem, or archived and published",
        "description": "Authorization: Bearer <the sending system's token> (ASHYQ_INGEST_TOKENS). "
                       "No CSRF token. Columns: period, administrator, program, subprogram, "
                       "specific, approved, adjusted, executed (thousand tenge), optional "
                       "name_kk, name_ru.",
        "x-rule": "R4, R8",
        "parameters": [{"name": "name", "in": "query", "schema": {"type": "string"},
                        "description": "The file's name, kept with the archived file"}],
        "requestBody": {"required": True, "content": {
            "text/csv": {"schema": {"type": "string"}},
            JSON: {"schema": {"type": "object", "required": ["period", "rows"]}},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {"type": "string", "format": "binary"}}}},
        "responses": {"201": _ok("Imported; a full rebuild of the site is pending", {
            "type": "object", "properties": {
                "period": {"type": "string"}, "rows": {"type": "integer"},
                "administrators": {"type": "integer"}, "replaced": {"type": "boolean"},
                "sha256": {"type": "string"}, "archived": {"type": "string"}}}),
            "400": ERROR, "401": ERROR, "413": ERROR, "415": ERROR, "422": ERROR, "429": ERROR}}},
}

OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "Ashyq submission service", "version": "1",
             "description": "Sign-in with an electronic digital signature, votes and proposals "
                            "for the Open Budgets portal. Errors share one shape."},
    "paths": PATHS,
    "components": {"responses": {"Error": {"description": "Any error", "content": {JSON: {"schema": {
        "type": "object", "required": ["ok", "status", "error", "errors"],
        "properties": {"ok": {"const": False}, "status": {"type": "integer"},
                       "error": {"type": "string"},
                       "errors": {"type": "array", "items": {"type": "object", "properties": {
                           "code": {"type": "string"}, "message": {"type": "string"},
                           "rule": {"type": "string"}, "field": {"type": "string"}}}}}}}}}}},
}


@bp.get("/api/openapi.json")
def openapi():
    return OPENAPI
