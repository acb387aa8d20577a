"""The rebuild worker: brings the submission service's public state into the static site.

It joins the two sides at their boundaries only: it reads the public snapshot
(``submit_api.snapshot``) and hands it to the generator (full build, or the incremental path
for single pages). Decisions and answers are noticed through ``site_changes`` and shown after
a short debounce; vote totals are refreshed periodically (the page also shows live totals); a
new day (statuses change) triggers a full build.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import threading
import time
from pathlib import Path

from ashyq import clock

log = logging.getLogger(__name__)


def export_snapshot(database: Path, target: Path) -> Path | None:
    """Write the public snapshot of ``database`` to ``target`` (None when there is no database)."""
    from submit_api.snapshot import snapshot_json

    if not Path(database).exists():
        return None
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        text = snapshot_json(conn)
    finally:
        conn.close()
    target = Path(target)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return target


def stale_statuses(manifest: dict, today) -> list[str]:
    """Documents whose discussion status in a build's manifest is not today's: the build was
    made on an earlier day (a server started after midnight shows them wrongly until rebuilt)."""
    from ashyq.doctypes import discussion_status

    return sorted(d["uid"] for d in manifest.get("documents", ())
                  if d.get("status") != discussion_status(dt.date.fromisoformat(d["posted"]),
                                                          dt.date.fromisoformat(d["discussion_end"]),
                                                          today))


class RebuildWorker:
    """Polls the database and keeps the static site in step with it."""

    def __init__(self, database: Path, content_dir: Path, output: Path, cache_dir: Path, *,
                 site_url: str | None = None, settings: dict | None = None, poll: float = 0.1,
                 debounce: float = 0.15, max_wait: float = 1.0, totals_every: float = 30.0,
                 reports_dir: Path | None = None, mail_config: dict | None = None,
                 reports_every: float = 60.0, rebuild_flag: Path | None = None):
        self.database, self.content_dir = Path(database), Path(content_dir)
        self.output, self.cache_dir = Path(output), Path(cache_dir)
        self.site_url = site_url
        self.reports_dir = Path(reports_dir) if reports_dir else None
        self.settings = dict(settings or {})
        if self.reports_dir:
            self.settings["ASHYQ_REPORTS"] = str(self.reports_dir)
        self.mail_config = dict(mail_config or {})
        self.reports_every, self.reports_checked = reports_every, float("-inf")
        self.rebuild_flag = Path(rebuild_flag) if rebuild_flag else None
        self.poll, self.debounce, self.max_wait, self.totals_every = poll, debounce, max_wait, totals_every
        self.site = None
        self.last_totals: dict[str, tuple] | None = None
        self.totals_checked = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- at start ---------------------------------------------------------------------------
    def catch_up(self) -> bool:
        """Before anything else: if the served build was made on another day (its statuses are
        not today's: discussions ended or opened since), build again. True if it did."""
        try:
            manifest = json.loads((self.output / "opendata" / "documents.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.warning("no readable manifest in %s: full build", self.output)
            self.full_build()
            return True
        stale = stale_statuses(manifest, clock.today())
        if not stale:
            return False
        log.info("the build's statuses are not today's (%s): full build", ", ".join(stale[:5]))
        self.full_build()
        return True

    # -- one pass --------------------------------------------------------------------------
    def tick(self) -> list[str]:
        """Do what is due now; returns the documents whose pages were re-rendered."""
        if not self.database.exists():
            return []
        conn = sqlite3.connect(str(self.database), timeout=10, isolation_level=None)
        try:
            site = self._site()
            if self.reports_dir and time.monotonic() - self.reports_checked >= self.reports_every:
                self._reports(conn)
            rendered = self._decisions(conn, site)
            if time.monotonic() - self.totals_checked >= self.totals_every:
                rendered += self._totals(conn, site)
            return rendered
        finally:
            conn.close()

    def _site(self):
        from generator.incremental import IncrementalSite

        today = clock.today()
        if self.rebuild_flag and self.rebuild_flag.exists():
            # New content arrived (budget reporting ingest, R8): a full build. The flag goes
            # first, so data arriving during the build asks for another one.
            log.info("content changed (%s): full build", self.rebuild_flag)
            self.rebuild_flag.unlink(missing_ok=True)
            self.full_build()
        elif self.site is not None and self.site.current and self.site.today != today:
            log.info("a new day (%s): full build, statuses change", today)
            self.full_build()
        if self.site is None or not self.site.current or self.site.today != today:
            self.site = IncrementalSite(self.output, self.content_dir, self.cache_dir, today,
                                        self.site_url, self.settings)
            self.last_totals = None
        return self.site

    def _decisions(self, conn: sqlite3.Connection, site) -> list[str]:
        upto = site.changes_upto
        pending = conn.execute("SELECT count(*), min(at), max(at) FROM site_changes WHERE id > ?",
                               (upto,)).fetchone()
        if not pending[0]:
            return []
        now = time.time()
        if now - pending[2] < self.debounce and now - pending[1] < self.max_wait:
            return []  # more may be coming: wait a little (but never longer than max_wait)
        return self._render(conn, site, [r[0] for r in conn.execute(
            "SELECT DISTINCT document FROM site_changes WHERE id > ? ORDER BY document", (upto,))])

    def _reports(self, conn: sqlite3.Connection) -> None:
        """R17: generate the reports of discussions that have ended, and e-mail them once."""
        from submit_api.reports.mail import deliver_pending, load_administrator_emails
        from submit_api.reports.store import generate_due_reports

        self.reports_checked = time.monotonic()
        manifest = json.loads((self.output / "opendata" / "documents.json").read_text(encoding="utf-8"))
        emails = load_administrator_emails(self.content_dir / "administrators.toml")
        created = generate_due_reports(conn, manifest["documents"], clock.today(),
                                       self.reports_dir, emails)
        if created:
            log.info("generated %d final report(s)", len(created))
        deliver_pending(conn, self.reports_dir, self.mail_config, emails)

    def _totals(self, conn: sqlite3.Connection, site) -> list[str]:
        """Re-render documents whose vote totals (or their proposals' totals) changed."""
        self.totals_checked = time.monotonic()
        current: dict[str, list] = {}
        for target_type, target, value, n in conn.execute(
                "SELECT v.target_type, coalesce(p.document, v.target_id), v.value, count(*) "
                "FROM votes v LEFT JOIN proposals p ON v.target_type = 'proposal' "
                "AND p.id = CAST(v.target_id AS INTEGER) GROUP BY 1, 2, v.target_id, 3 "
                "ORDER BY 1, 2, v.target_id, 3"):
            current.setdefault(target, []).append((target_type, value, n))
        totals = {doc: tuple(items) for doc, items in current.items()}
        previous, self.last_totals = self.last_totals, totals
        if previous is None:
            return []
        changed = sorted(doc for doc in totals.keys() | previous.keys()
                         if totals.get(doc) != previous.get(doc))
        return self._render(conn, site, changed) if changed else []

    def _render(self, conn: sqlite3.Connection, site, documents: list[str]) -> list[str]:
        from submit_api.snapshot import public_snapshot

        known = [uid for uid in documents if uid in site.index.documents]
        site.render_documents(known, public_snapshot(conn, known))
        site.refresh_open_data(public_snapshot(conn))  # proposals, answers, totals as open data
        return known

    def full_build(self):
        """Export the snapshot and rebuild the whole site (a content change, a new day)."""
        from generator.build import build

        snapshot = export_snapshot(self.database, self.database.parent / "snapshot.json")
        result = build(self.content_dir, self.output, cache_dir=self.cache_dir,
                       site_url=self.site_url, snapshot=snapshot, settings=self.settings)
        self.site = None
        return result

    # -- in the background -----------------------------------------------------------------
    def run(self) -> None:
        try:
            self.catch_up()
        except Exception:  # noqa: BLE001 - the passes below try again on a new day
            log.exception("catching up at start failed")
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - keep serving; the next pass tries again
                log.exception("rebuild worker pass failed")
            self._stop.wait(self.poll)

    def start(self) -> "RebuildWorker":
        self._thread = threading.Thread(target=self.run, name="ashyq-rebuild", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)

