"""Rendered Markdown, cached by content hash across builds.

A file's HTML depends only on its bytes and the Markdown settings, so it is kept under the
hash of both (``<cache>/markdown/<hash>.html``) and reused by every later build - a full build
after a template change renders no Markdown that did not change. Entries are written with the
one atomic writer, so parallel render processes may share the folder.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable

import markdown

from ashyq.files import atomic_write


class MarkdownCache:
    def __init__(self, folder: Path, settings: dict):
        self.folder = Path(folder)
        self.salt = json.dumps([markdown.__version__, settings], sort_keys=True,
                               default=str).encode("utf-8")

    def key(self, data: bytes) -> str:
        return hashlib.blake2b(self.salt + b"\0" + data, digest_size=20).hexdigest()

    def entry(self, source: Path) -> Path:
        """Where the HTML of ``source`` (as its bytes are now) is kept."""
        return self.folder / self.key(Path(source).read_bytes())

    def get(self, source: Path, render: Callable[[Path], str]) -> str:
        """The HTML of ``source``, from the cache or from ``render(source)``."""
        entry = self.entry(source)
        try:
            return entry.read_text(encoding="utf-8")
        except FileNotFoundError:
            pass
        html = render(source)
        atomic_write(entry, html)
        return html
