"""Incremental publishing: re-render only the pages a decision or a vote touches.

A content change needs a full Pelican build (``generator.build``). A moderation decision, an
answer or new vote totals change only the document's page, in both languages: this module
keeps the two language generators of the current build in memory - the same
:class:`generator.site.SiteGenerator` class, settings and templates the full build uses - and
writes just those pages, each replaced atomically in the live build directory. Its output is
byte-identical to a full build of the same state (tests/test_incremental.py).
"""
from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

from pelican.plugins.i18n_subsites import i18n_subsites

from ashyq.doctypes import LANGUAGES
from ashyq.i18n import compile_catalogs
from generator.build import pelican_settings, read_build_state, write_build_state
from generator.content import SiteIndex, load_content
from generator.opendata import write_open_data
from generator.publication import used_dates
from generator.public_state import public_state
from generator.site import SiteGenerator, locale_dir, site_index

log = logging.getLogger(__name__)


def atomic_write(path: Path, text: str) -> None:
    """Replace ``path`` in one rename, so a reader never sees half a page."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class IncrementalSite:
    """The live build of ``output`` with its generators ready to re-render single pages."""

    def __init__(self, output: Path, content_dir: Path, cache_dir: Path, today: dt.date,
                 site_url: str | None = None, settings: dict | None = None):
        self.output = Path(output).absolute()
        self.build_dir = self.output.resolve()
        self.today = today
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
            gen.releases = {d.meta[lang].get("document"): d
                            for d in gen.index.of_type("press_release")}
            gen.context["ashyq"] = gen.index
            self.generators[lang] = gen

    @property
    def current(self) -> bool:
        """False once a full build has swapped another directory in."""
        return self.output.resolve() == self.build_dir

    @property
    def changes_upto(self) -> int:
        return int(read_build_state(self.build_dir)["changes_upto"])

    def render_documents(self, uids: list[str], snapshot: dict) -> list[Path]:
        """Re-render the pages of ``uids`` (both languages) from a snapshot of those documents."""
        public = public_state(snapshot)
        written = []
        for gen in self.generators.values():
            gen.public = public
            for uid in uids:
                doc = gen.index.documents.get(uid)
                if doc is None or not doc.doc_type.discussion:
                    continue
                name, template, values = gen.document_page(doc, gen.read_body(doc))
                path = self.build_dir / name
                atomic_write(path, gen.render(template, values))
                written.append(path)
                if report := gen.report_page(doc):  # R17: a report generated since the build
                    name, template, values, version_dir = report
                    gen.publish_report(version_dir, doc)
                    atomic_write(self.build_dir / name, gen.render(template, values))
                    written.append(self.build_dir / name)
        if "changes_upto" in snapshot:
            write_build_state(self.build_dir, max(self.changes_upto, int(snapshot["changes_upto"])))
        log.info("re-rendered %d pages for %s", len(written), ", ".join(uids))
        return written

    def refresh_open_data(self, snapshot: dict) -> None:
        """Rewrite ``/opendata/`` from the whole public snapshot, as a full build would."""
        write_open_data(self.build_dir, self.index, snapshot)
