"""Publishing a decision: re-render only the pages a decision or a vote touches, in place.

A moderation decision, an answer or new vote totals change a document's page in both languages
and the open data. This module keeps the two language generators of the current build in
memory - the same :class:`generator.site.SiteGenerator` class, settings and templates the build
uses - and sends that document's outputs (:func:`generator.listing.document_outputs`) and the
open data (:func:`generator.listing.emit_open_data`) through the render path
(``generator.render``) into the live build directory, each file replaced atomically. The
build's dependency record is updated with them, so the next build knows what they show. The
result is byte-identical to a full build of the same state (tests/test_incremental.py).
"""
from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

import generator.pelican_logging  # noqa: F401 - before Pelican's first import
from pelican.plugins.i18n_subsites import i18n_subsites

from ashyq.doctypes import LANGUAGES
from ashyq.i18n import compile_catalogs
from generator.build import budget_files, global_key, pelican_settings
from generator.builds import forget_quick, keep_mirror, read_build_state, write_build_state
from generator.content import SiteIndex, load_content
from generator.deps import Record, fingerprints
from generator.listing import emit_body_feeds, emit_document, emit_open_data
from generator.publication import used_dates
from generator.public_state import public_state
from generator.render import RenderPath
from generator.press import releases_by_discussion
from generator.site import SiteGenerator, locale_dir, site_index

log = logging.getLogger(__name__)


class IncrementalSite:
    """The live build of ``output`` with its generators ready to re-render single pages."""

    def __init__(self, output: Path, content_dir: Path, cache_dir: Path, today: dt.date,
                 site_url: str | None = None, settings: dict | None = None):
        self.output = Path(output).absolute()
        self.build_dir = self.output.resolve()
        self.today = today
        self.site_url, self.settings = site_url, dict(settings or {})
        # the same first-serving dates as the full build that made this directory (R9, R10)
        self.index: SiteIndex = load_content(Path(content_dir), today, used_dates(self.build_dir))
        base = pelican_settings(self.index, self.build_dir, Path(cache_dir).absolute(),
                                site_url, None, settings)
        compile_catalogs(locale_dir(base))
        self.generators: dict[str, SiteGenerator] = {}
        for lang in LANGUAGES:
            lang_settings = dict(base, DEFAULT_LANG=lang)
            if lang != base["DEFAULT_LANG"]:  # as i18n_subsites lays out a subsite's cache
                lang_settings["CACHE_PATH"] = os.path.join(base["CACHE_PATH"], lang)
            gen = SiteGenerator(context=dict(lang_settings), settings=lang_settings,
                                path=lang_settings["PATH"], theme=lang_settings["THEME"],
                                output_path=str(self.build_dir))
            i18n_subsites.install_templates_translations(gen)
            gen.index = site_index(lang_settings)
            gen.releases = releases_by_discussion(gen.index, lang)
            gen.context["ashyq"] = gen.index
            self.generators[lang] = gen

    @property
    def current(self) -> bool:
        """False once a build has swapped another directory in."""
        return self.output.resolve() == self.build_dir

    @property
    def changes_upto(self) -> int:
        return int(read_build_state(self.build_dir)["changes_upto"])

    def _sink(self, snapshot: dict) -> tuple[RenderPath, Record]:
        """A render path into the live directory, and the live record to update."""
        reports = self.settings.get("ASHYQ_REPORTS")
        live = Record.load(self.build_dir) or Record("-")
        now = Record(global_key(self.site_url, self.settings, reports),
                     fingerprints(self.index, snapshot, reports, budget_files(self.index)))
        return RenderPath(self.build_dir, now), live

    def render_documents(self, uids: list[str], snapshot: dict) -> list[Path]:
        """Re-render the pages of ``uids`` (both languages) from a snapshot of those documents."""
        public = public_state(snapshot)
        sink, live = self._sink(snapshot)
        for gen in self.generators.values():
            gen.public = public
            for uid in uids:
                doc = gen.index.documents.get(uid)
                if doc is not None and doc.doc_type.discussion:
                    emit_document(gen, doc, sink)
        sink.flush()
        self._update(live, sink, [f"public:{u}" for u in uids] + [f"report:{u}" for u in uids])
        if "changes_upto" in snapshot:
            write_build_state(self.build_dir, max(self.changes_upto, int(snapshot["changes_upto"])))
        log.info("re-rendered %d pages for %s", len(sink.rendered), ", ".join(uids))
        return [self.build_dir / p for p in sink.rendered]

    def refresh_open_data(self, snapshot: dict) -> None:
        """Rewrite ``/opendata/`` and the state bodies' feeds from the whole public snapshot, as
        a full build would."""
        sink, live = self._sink(snapshot)
        sink.record.outputs.update(live.outputs)  # the other files under /opendata/
        for path in [p for p in live.outputs if p.startswith("opendata/")
                     and live.outputs[p] == ("budget", "index", "snapshot")]:
            del sink.record.outputs[path]
        emit_open_data(sink, self.index, snapshot)
        public = public_state(snapshot)
        for path in [p for p in live.outputs if "/feeds/administrators/" in p]:
            del sink.record.outputs[path]
        for gen in self.generators.values():  # the state bodies' feeds need every document
            gen.public = public
            emit_body_feeds(gen, sink)
        sink.flush()
        self._update(live, sink, ["snapshot"])

    def _update(self, live: Record, sink: RenderPath, keys: list[str]) -> None:
        """Record in the live build what its re-rendered files now show."""
        forget_quick(self.build_dir)  # it now shows more than what it was built from
        if live.global_key == "-":
            return
        live.groups.update(sink.record.groups)  # the documents' outputs, listed again
        live.group_keys.update(sink.record.group_keys)
        for path in sink.rendered:
            live.outputs[path] = sink.record.outputs[path]
            if path in sink.record.indexed:
                live.indexed[path] = sink.record.indexed[path]
            else:
                live.indexed.pop(path, None)
        for key in keys:
            if key in sink.record.inputs:
                live.inputs[key] = sink.record.inputs[key]
        live.save(self.build_dir)
        # the build kept beside as the live one's files (if it is) gets what was rewritten
        # and the new record: still its files, the next build recycles it as they are
        if self.current:
            keep_mirror(self.output, self.build_dir, live, live, sink.rendered)
