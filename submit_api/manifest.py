"""The app's reader of the build's manifest (DESIGN.md, boundary 2; the contract and its parser
are :mod:`ashyq.manifest`): one per app, re-read when a new build swaps the file in."""
from __future__ import annotations

from flask import Flask, current_app

from ashyq.manifest import Manifest, ManifestDocument, ManifestUnavailable

__all__ = ["Manifest", "ManifestDocument", "ManifestUnavailable", "app_manifest", "manifest"]


def manifest() -> Manifest:
    """The manifest of the build this app serves (setting ``MANIFEST``)."""
    return app_manifest(current_app)


def app_manifest(app: Flask) -> Manifest:
    """``app``'s manifest reader (one per app; the vote lane reads it outside a request)."""
    ext = app.extensions
    if "ashyq_manifest" not in ext:
        ext["ashyq_manifest"] = Manifest(app.config["MANIFEST"])
    return ext["ashyq_manifest"]
