"""The rebuild worker: brings the submission service's public state into the static site.

It joins the two sides at their boundaries only: it reads the public snapshot
(``submit_api.public``) and hands it to the generator - a build that renders only what
changed, or the incremental path for single pages. Decisions and answers are noticed through
``site_changes`` and shown after a short debounce; vote totals are refreshed periodically (the
page also shows live totals); a new day rebuilds the pages whose statuses change.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from pathlib import Path

from ashyq import clock
from ashyq.administrators import FILE_NAME as ADMINISTRATORS_FILE
from ashyq.files import atomic_write
from ashyq.manifest import ManifestDocument, ManifestUnavailable, read_manifest

log = logging.getLogger(__name__)


def export_snapshot(database: Path, target: Path) -> Path | None:
    """Write the public snapshot of ``database`` to ``target`` (None when there is no database)."""
    from submit_api.public import snapshot_json

    if not Path(database).exists():
        return None
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        text = snapshot_json(conn)
    finally:
        conn.close()
    atomic_write(target, text)
    return Path(target)


def site_settings(config: dict) -> dict:
    """The Pelican settings a build takes from the portal's settings."""
    settings = {"NCALAYER_URL": config["NCALAYER_URL"]}
    if Path(config["REPORTS_DIR"]).is_dir():
        settings["ASHYQ_REPORTS"] = str(config["REPORTS_DIR"])
    settings["ASHYQ_PORTAL_CERTIFICATE"] = portal_certificate(config)
    return settings


def portal_certificate(config: dict) -> str | None:
    """The PEM the build publishes as ``/opendata/portal-certificate.pem`` (issue 15): the
    ``PORTAL_CERTIFICATE`` file, else the signing key's certificate (the demo's own is made
    here when none is configured)."""
    from submit_api import portal_key

    path = Path(config["PORTAL_CERTIFICATE"])
    if path.is_file():
        return str(path)
    try:
        pem = portal_key.from_settings(config).certificate_pem()
    except portal_key.PortalKeyError as exc:
        log.warning("no portal certificate to publish: %s", exc)
        return None
    target = Path(config["CACHE_DIR"]) / "portal-certificate.pem"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(pem)
    return str(target)


def build_site(config: dict, today=None):
    """A full build from the portal's settings (:func:`ashyq.settings.load`): the public
    snapshot of ``DATABASE`` and the frozen reports go in, ``OUTPUT`` is swapped."""
    from generator.build import build

    cache = Path(config["CACHE_DIR"])
    cache.mkdir(parents=True, exist_ok=True)
    snapshot = export_snapshot(Path(config["DATABASE"]), cache / "snapshot.json")
    return build(Path(config["CONTENT"]), Path(config["OUTPUT"]), cache_dir=cache, today=today,
                 site_url=config.get("SITE_URL"), snapshot=snapshot,
                 settings=site_settings(config))


def stale_statuses(manifest: dict[str, ManifestDocument], today) -> list[str]:
    """Documents whose discussion status in a build's manifest is not today's: the build was
    made on an earlier day (a server started after midnight shows them wrongly until rebuilt)."""
    return sorted(uid for uid, doc in manifest.items() if doc.entry.get("status") != doc.status(today))


class RebuildWorker:
    """Polls the database and keeps the static site in step with it."""

    def __init__(self, database: Path, content_dir: Path, output: Path, cache_dir: Path, *,
                 site_url: str | None = None, settings: dict | None = None, poll: float = 0.1,
                 debounce: float = 0.15, max_wait: float = 1.0, totals_every: float = 30.0,
                 reports_dir: Path | None = None, mail_config: dict | None = None,
                 reports_every: float = 60.0, rebuild_flag: Path | None = None,
                 follow_every: float = 60.0):
        self.database, self.content_dir = Path(database), Path(content_dir)
        self.output, self.cache_dir = Path(output), Path(cache_dir)
        self.site_url = site_url
        self.reports_dir = Path(reports_dir) if reports_dir else None
        self.settings = dict(settings or {})
        if self.reports_dir:
            self.settings["ASHYQ_REPORTS"] = str(self.reports_dir)
        self.mail_config = dict(mail_config or {})
        self.follow_every, self.follow_checked = follow_every, float("-inf")
        self.reports_every, self.reports_checked = reports_every, float("-inf")
        self.rebuild_flag = Path(rebuild_flag) if rebuild_flag else None
        self.poll, self.debounce, self.max_wait, self.totals_every = poll, debounce, max_wait, totals_every
        self.site = None
        self.last_totals: dict[str, tuple] | None = None
        self.served_stamp: tuple[int, int] | None = None
        self.totals_checked = 0.0
        self._stop = threading.Event()
        #: set by a signal handler (a plain assignment: an Event's lock may be held by the very
        #: thread the handler interrupts); the loop ends at its next pass (``ashyq worker``)
        self.stopping = False
        self._thread: threading.Thread | None = None

    @classmethod
    def from_settings(cls, config: dict, **options) -> "RebuildWorker":
        """The worker for the portal's settings (``ashyq serve``, ``ashyq worker``)."""
        return cls(Path(config["DATABASE"]), Path(config["CONTENT"]), Path(config["OUTPUT"]),
                   Path(config["CACHE_DIR"]), site_url=config.get("SITE_URL"),
                   settings={"NCALAYER_URL": config["NCALAYER_URL"],
                             "ASHYQ_PORTAL_CERTIFICATE": portal_certificate(config)},
                   reports_dir=Path(config["REPORTS_DIR"]),
                   rebuild_flag=Path(config["INGEST_REBUILD_FLAG"]),
                   mail_config={k: v for k, v in config.items() if k.startswith("MAIL_")},
                   **options)

    # -- at start ---------------------------------------------------------------------------
    def catch_up(self) -> bool:
        """Before anything else: if the served build was made on another day (its statuses are
        not today's: discussions ended or opened since), build again. True if it did."""
        try:
            manifest = read_manifest(self.output)
        except ManifestUnavailable:
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
            self._record_served(conn)
            site = self._site()
            if self.reports_dir and time.monotonic() - self.reports_checked >= self.reports_every:
                self._reports(conn)
            if self.mail_config and time.monotonic() - self.follow_checked >= self.follow_every:
                self._follow(conn)
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
            # New content arrived (budget reporting ingest, R8): a build, which renders only
            # what the new data changes. The flag goes first, so data arriving during the
            # build asks for another one.
            log.info("content changed (%s): rebuilding what changed", self.rebuild_flag)
            self.rebuild_flag.unlink(missing_ok=True)
            self.full_build()
        elif self.site is not None and self.site.current and self.site.today != today:
            log.info("a new day (%s): rebuilding the pages whose statuses change", today)
            self.full_build()
        if self.site is None or not self.site.current or self.site.today != today:
            self.site = IncrementalSite(self.output, self.content_dir, self.cache_dir, today,
                                        self.site_url, self.settings)
            self.last_totals = None
        return self.site

    def _record_served(self, conn: sqlite3.Connection) -> None:
        """R9, R10, R12: record in the audit log the first serving of every document version
        the live build serves (``.ashyq-served.json``; ``submit_api.publication``). A document
        first served after its declared date moves its posting date: build again at once."""
        from generator.publication import SERVED_PATH
        from submit_api.publication import record_served

        path = self.output / SERVED_PATH
        try:
            stat = path.stat()
        except OSError:
            return
        if (stat.st_mtime_ns, stat.st_ino) == self.served_stamp:
            return
        recorded = record_served(conn, json.loads(path.read_text(encoding="utf-8")))
        self.served_stamp = (stat.st_mtime_ns, stat.st_ino)
        if recorded:
            log.info("publication record: %d document version(s) first served", len(recorded))
        if any(not r.get("baseline") and (r.get("posted") or "") < r["at"][:10] for r in recorded):
            log.info("a document was first served after its declared posting date: full build")
            self.full_build()

    def _decisions(self, conn: sqlite3.Connection, site) -> list[str]:
        from submit_api.public import changed_documents, pending_changes

        upto = site.changes_upto
        count, first, last = pending_changes(conn, upto)
        if not count:
            return []
        now = time.time()
        if now - last < self.debounce and now - first < self.max_wait:
            return []  # more may be coming: wait a little (but never longer than max_wait)
        return self._render(conn, site, changed_documents(conn, upto))

    def _reports(self, conn: sqlite3.Connection) -> None:
        """R17: generate the reports of discussions that have ended, and e-mail them once."""
        from submit_api.reports.mail import deliver_pending, load_administrator_emails
        from submit_api.reports.store import generate_due_reports

        self.reports_checked = time.monotonic()
        manifest = read_manifest(self.output)
        emails = load_administrator_emails(self.content_dir / ADMINISTRATORS_FILE)
        from ashyq.workdays import load_calendar
        created = generate_due_reports(conn, [d.entry for d in manifest.values()], clock.today(),
                                       self.reports_dir, emails,
                                       load_calendar(self.content_dir / "decrees.toml"))
        if created:
            log.info("generated %d final report(s)", len(created))
        deliver_pending(conn, self.reports_dir, self.mail_config, emails)

    def _follow(self, conn: sqlite3.Connection) -> None:
        """E-mail follow (issue 14): events, follower mails and the staff digest."""
        from submit_api.follow.run import run

        self.follow_checked = time.monotonic()
        documents = [d.entry for d in read_manifest(self.output).values()]
        run(conn, documents, mail_config=self.mail_config,
            base_url=self.site_url or self.mail_config.get("SITE_URL") or "http://127.0.0.1:8000",
            locale_dir=self.cache_dir / "locale",
            administrators_file=self.content_dir / "administrators.toml")

    def _totals(self, conn: sqlite3.Connection, site) -> list[str]:
        """Re-render documents whose vote totals (or their proposals' totals) changed."""
        from submit_api.public import vote_fingerprints

        self.totals_checked = time.monotonic()
        totals = vote_fingerprints(conn)
        previous, self.last_totals = self.last_totals, totals
        if previous is None:
            return []
        changed = sorted(doc for doc in totals.keys() | previous.keys()
                         if totals.get(doc) != previous.get(doc))
        return self._render(conn, site, changed) if changed else []

    def _render(self, conn: sqlite3.Connection, site, documents: list[str]) -> list[str]:
        from submit_api.public import public_snapshot

        known = [uid for uid in documents if uid in site.index.documents]
        site.render_documents(known, public_snapshot(conn, known))
        site.refresh_open_data(public_snapshot(conn))  # proposals, answers, totals as open data
        return known

    def full_build(self):
        """Export the snapshot and build the site (a content change, a new day): an
        incremental build - only the outputs whose inputs changed are rendered
        (``generator.deps``), the rest carried over - swapped in atomically."""
        from generator.build import build

        snapshot = export_snapshot(self.database, self.cache_dir / "snapshot.json")
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
        while not (self._stop.is_set() or self.stopping):
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

