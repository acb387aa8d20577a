"""The ``ashyq`` command: a thin edge over the library. Each command parses its options,
calls one function and turns that function's small exceptions into messages for people."""
from __future__ import annotations

import logging
from pathlib import Path

import click

from ashyq import settings as ashyq_settings
from ashyq.clock import ClockError


def current_settings() -> dict:
    """The settings of this run (:func:`ashyq.settings.load`), built once per command."""
    ctx = click.get_current_context()
    root = ctx.find_root()
    if not isinstance(root.obj, dict):
        root.obj = ashyq_settings.load()
    return root.obj


def place(value: Path | None, name: str) -> Path:
    """A command option when given, else the setting ``name`` (``ASHYQ_<name>``)."""
    return Path(value) if value is not None else Path(current_settings()[name])


def _path_option(flag: str, dest: str, setting: str, help: str, **kwargs):
    return click.option(flag, dest, type=click.Path(path_type=Path, **kwargs), default=None,
                        help=f"{help} [default: ASHYQ_{setting}]")


def content_option(func):
    return _path_option("--content", "content_dir", "CONTENT", "Content folder.",
                        file_okay=False)(func)


def output_option(func):
    return _path_option("--out", "output", "OUTPUT",
                        "The built site (a link swapped atomically).")(func)


def database_option(func):
    return _path_option("--database", "database", "DATABASE",
                        "The service's database; its public snapshot goes into the site.",
                        dir_okay=False)(func)


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log what is being done.")
def main(verbose: bool) -> None:
    """Ashyq, the Open Budgets portal: build the site, serve the portal.

    Every place and setting comes from ASHYQ_* variables (docs/settings.md); options override."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


@main.command()
@content_option
@output_option
@click.option("--site-url", default=None, help="Absolute URL of the site, for feeds "
              "[default: ASHYQ_SITE_URL].")
@database_option
def build(content_dir: Path | None, output: Path | None, site_url: str | None,
          database: Path | None) -> None:
    """Validate the content and build the whole static site."""
    from generator.build import BuildFailed
    from generator.content import ContentInvalid

    from portal.worker import build_site

    config = dict(current_settings())
    config.update(CONTENT=str(place(content_dir, "CONTENT")), OUTPUT=str(place(output, "OUTPUT")),
                  DATABASE=str(place(database, "DATABASE")))
    if site_url:
        config["SITE_URL"] = site_url
    output = Path(config["OUTPUT"])
    try:
        result = build_site(config)
    except (ContentInvalid, BuildFailed, ClockError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"built {result.pages} pages for {result.documents} documents "
               f"into {output} in {result.seconds:.1f} s")


@main.command()
@content_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
def preview(content_dir: Path | None, host: str, port: int) -> None:
    """Preview the content while writing it: build, serve, rebuild what changed on every
    save and reload the page in the browser (docs/content.md)."""
    from generator.preview import serve

    cache = Path(current_settings()["CACHE_DIR"]) / "preview"
    try:
        serve(place(content_dir, "CONTENT"), cache / "site", cache, host=host, port=port)
    except KeyboardInterrupt:
        pass


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@output_option
@content_option
@click.option("--worker/--no-worker", default=True, show_default=True,
              help="Run the rebuild worker that brings decisions into the static pages.")
def serve(host: str, port: int, output: Path | None, content_dir: Path | None,
          worker: bool) -> None:
    """Serve the whole portal on one machine: the static site, the API (/api/), the office
    (/office/) and the rebuild worker. A development server, for the demo: see the README's
    "Running in production"."""
    from werkzeug.serving import run_simple

    from portal.web import portal_app
    from portal.worker import RebuildWorker
    from submit_api import create_app

    config = dict(current_settings())
    config.update(OUTPUT=str(place(output, "OUTPUT")), CONTENT=str(place(content_dir, "CONTENT")),
                  MANIFEST=None)
    config = ashyq_settings.resolve_places(config)
    if not (Path(config["OUTPUT"]) / "index.html").exists():
        raise click.ClickException(f"no site at {config['OUTPUT']}: run 'ashyq build' first")
    api = create_app(config)
    if worker:
        RebuildWorker.from_settings(api.config).start()
    click.echo(f"Ashyq at http://{host}:{port}/ (Ctrl+C stops)")
    run_simple(host, port, portal_app(Path(config["OUTPUT"]), api_app=api), threaded=True,
               use_reloader=False)


@main.command()
@content_option
@output_option
@click.option("--site-url", default=None, help="Absolute URL of the site, for feeds "
              "[default: ASHYQ_SITE_URL].")
def worker(content_dir: Path | None, output: Path | None, site_url: str | None) -> None:
    """Run the rebuild worker as its own process (production, beside gunicorn and nginx).

    At start it rebuilds a site built on an earlier day; then it brings decisions, answers,
    vote totals, new days and final reports (R17) into the static site until SIGTERM."""
    import signal
    import sys

    from portal.worker import RebuildWorker
    from submit_api import create_app

    # SIGTERM (systemd stop) ends the process wherever it is: a build it interrupts never
    # reaches the served site (builds are swapped in whole).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    config = dict(current_settings())
    config.update(OUTPUT=str(place(output, "OUTPUT")), CONTENT=str(place(content_dir, "CONTENT")),
                  MANIFEST=None)
    if site_url:
        config["SITE_URL"] = site_url
    api = create_app(ashyq_settings.resolve_places(config))  # checks a production configuration
    click.echo(f"rebuild worker on {config['OUTPUT']} (SIGTERM stops)")
    rebuild = RebuildWorker.from_settings(api.config)

    def stop(*_) -> None:
        # The exit is raised wherever the process is; raised inside a finalizer (a file's, a
        # weak reference's callback) Python prints it and goes on - then the loop's next pass
        # ends it (a worker once outlived its SIGTERM by a minute in the stack test).
        rebuild.stopping = True
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop)
    try:
        rebuild.run()
    except KeyboardInterrupt:
        pass


@main.command()
@content_option
@click.option("--all", "show_all", is_flag=True, help="Print the checks that pass too.")
@database_option
def check(content_dir: Path | None, show_all: bool, database: Path | None) -> None:
    """Check the rules of the order (R3-R17); exit 1 on any violation. The publication record
    and the discussions' facts come from the database's public snapshot (R9-R17); a content
    problem that stops the build is reported beside every other check."""
    import sqlite3

    from ashyq import clock
    from generator import compliance
    from generator.content import load_content
    from generator.publication import first_served_dates, record_from_snapshot
    from submit_api.public import public_snapshot

    database = place(database, "DATABASE")
    snapshot = None
    if database.exists():
        conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            snapshot = public_snapshot(conn)
        except sqlite3.Error:
            snapshot = None  # not migrated yet: no record
        finally:
            conn.close()
    index = load_content(place(content_dir, "CONTENT"), clock.today(),
                         first_served_dates(record_from_snapshot(snapshot)), strict=False)
    checks = compliance.check(index, snapshot, index.problems)
    bad = compliance.violations(checks)
    for item in checks if show_all else bad:
        click.echo(("ok   " if item.ok else "FAIL ") + item.describe())
    click.echo(f"{len(checks)} checks on {index.today.isoformat()}, {len(bad)} violation(s)")
    if bad:
        raise SystemExit(1)


@main.command("seed-demo")
@output_option
def seed_demo(output: Path | None) -> None:
    """DEMO ONLY: give the ended discussions proposals, answers, a refusal, votes and their
    final reports, through the service's own functions (idempotent). Needs ASHYQ_DEMO_SIGNER."""
    from ashyq import clock
    from ashyq.manifest import MANIFEST_PATH, ManifestUnavailable, read_manifest
    from submit_api import create_app
    from submit_api.demo import seed_demo as seed

    site = place(output, "OUTPUT")
    try:
        documents = [doc.entry for doc in read_manifest(site).values()]
    except ManifestUnavailable as exc:
        raise click.ClickException(f"no site at {site}: run 'ashyq build' first ({exc})") from exc
    config = dict(current_settings(), MANIFEST=str(site / MANIFEST_PATH))
    if not config["DEMO_SIGNER"]:
        raise click.ClickException("the demo history needs the demo signer: ASHYQ_DEMO_SIGNER=true")
    added = seed(create_app(config), documents, clock.today())
    click.echo(f"demo history: {added} proposal(s) added" if added
               else "demo history: already there")


def _service():
    """The submission service's app, for commands that use its database and keys."""
    from submit_api import create_app
    return create_app(current_settings())


@main.group()
def staff() -> None:
    """Staff rights (R8): bootstrap the operator and the administrators' leads."""


def _role_args(func):
    func = click.option("--administrator", "administrator", default=None,
                        help="Administrator code (for lead and employee).")(func)
    func = click.argument("role", type=click.Choice(["operator", "lead", "employee"]))(func)
    return click.argument("iin")(func)


@staff.command("grant")
@_role_args
def staff_grant(iin: str, role: str, administrator: str | None) -> None:
    """Give the holder of IIN a role."""
    _staff_change(iin, role, administrator, grant=True)


@staff.command("revoke")
@_role_args
def staff_revoke(iin: str, role: str, administrator: str | None) -> None:
    """Take a role away from the holder of IIN."""
    _staff_change(iin, role, administrator, grant=False)


def _staff_change(iin: str, role: str, administrator: str | None, grant: bool) -> None:
    from submit_api import staff as rights
    from submit_api.db import connect
    from submit_api.eds import iin_is_valid
    from submit_api.identity import person_id

    if not iin_is_valid(iin):
        raise click.ClickException(f"{iin!r} is not a valid IIN (12 digits with a valid check digit)")
    app = _service()
    conn = connect(app.config["DATABASE"])
    try:
        person = person_id(iin, app.config["IDENTITY_KEY"])
        if grant:
            rights.grant(conn, rights.CLI_ACTOR, person, role, administrator)
            click.echo(f"granted {role}{' of ' + administrator if administrator else ''} "
                       f"to person {person[:12]}…")
        elif rights.revoke(conn, rights.CLI_ACTOR, person, role, administrator):
            click.echo(f"revoked {role} from person {person[:12]}…")
        else:
            raise click.ClickException("that person does not have that role")
    except rights.StaffError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        conn.close()


@staff.command("list")
@click.option("--administrator", default=None, help="Only this administrator's staff.")
def staff_list(administrator: str | None) -> None:
    """Active roles. People appear as the start of their keyed hash: the IIN is not kept."""
    from submit_api import staff as rights
    from submit_api.db import connect

    conn = connect(_service().config["DATABASE"])
    try:
        rows = rights.staff_list(conn, administrator)
    finally:
        conn.close()
    for row in rows:
        click.echo(f"{row['person'][:12]}…  {row['role']:<8} {row['administrator'] or '-':<5} "
                   f"since {row['granted_at']} (by {row['granted_by'][:12]})")
    if not rows:
        click.echo("no staff")


@main.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(target: Path) -> None:
    """Copy the database to TARGET while the portal runs (SQLite online backup)."""
    from submit_api.backup import BackupError, backup

    try:
        backup(Path(_service().config["DATABASE"]), target)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backed up to {target}")


@main.command("restore")
@click.argument("source", required=False, type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--from-replica", is_flag=True,
              help="Restore from the Litestream replica (folder or S3) instead of a backup file.")
@click.option("--replica-config", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Litestream's configuration [ASHYQ_LITESTREAM_CONFIG, /etc/litestream.yml].")
@click.option("--timestamp", default=None, help="With --from-replica: the state at this "
              "time (ISO, UTC, e.g. 2026-12-02T10:00:00Z) instead of the newest.")
def restore_command(source: Path | None, from_replica: bool, replica_config: Path | None,
                    timestamp: str | None) -> None:
    """Replace the database with the backup SOURCE, or with its replica (--from-replica).
    Stop the service (and Litestream) first."""
    from submit_api.backup import BackupError, restore, restore_from_replica

    config = current_settings()
    database = Path(config["DATABASE"])
    if bool(source) == from_replica:
        raise click.ClickException("give a backup file SOURCE or --from-replica (one of them)")
    try:
        if from_replica:
            replica_config = replica_config or Path(config["LITESTREAM_CONFIG"])
            restore_from_replica(replica_config, database, timestamp)
            source = f"the replica of {replica_config}"
        else:
            restore(source, database)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored {database} from {source}")


@main.group()
def audit() -> None:
    """The tamper-evident audit log."""


@audit.command("verify")
def audit_verify() -> None:
    """Walk the hash chain; exit 1 at the first entry that was edited, removed or reordered."""
    from submit_api import audit as log
    from submit_api.db import connect

    conn = connect(_service().config["DATABASE"])
    try:
        report = log.verify(conn)
    finally:
        conn.close()
    if not report.ok:
        raise click.ClickException(f"audit log broken at entry {report.broken_at}: {report.problem}")
    click.echo(f"audit log intact: {report.entries} entries")


@audit.command("export")
@click.argument("target", type=click.File("w", encoding="utf-8"), default="-")
def audit_export(target) -> None:
    """Write the whole log as CSV (with hashes, so the copy can be checked)."""
    from submit_api import audit as log
    from submit_api.db import connect

    conn = connect(_service().config["DATABASE"])
    try:
        target.write(log.export_csv(conn))
    finally:
        conn.close()


@main.group()
def reports() -> None:
    """Final reports (R17): list, make again, send again, check a downloaded file."""


@reports.command("list")
def reports_list() -> None:
    """Every report version with its delivery (stuck ones marked)."""
    from submit_api.reports.admin import list_reports

    for r in list_reports(current_settings()):
        state = "STUCK (check the mail log, then resend)" if r["stuck"] else (r["status"] or "-")
        superseded = f", superseded {r['superseded_at']}" if r["superseded_at"] else ""
        click.echo(f"{r['document']} v{r['version']}  {r['generated_at']}{superseded}  "
                   f"{state}  {r['recipient'] or ''}  {r['last_error'] or ''}".rstrip())


@reports.command("regenerate")
@click.argument("uid")
@click.option("--reason", required=True, help="Why it is made again (shown on the report page).")
@click.option("--deliver/--no-deliver", default=True, show_default=True,
              help="E-mail the new version to the administrator.")
def reports_regenerate(uid: str, reason: str, deliver: bool) -> None:
    """Make version N+1 of UID's report; the earlier versions stay published."""
    from submit_api.reports.store import ReportError
    from submit_api.reports.admin import regenerate_report

    try:
        version = regenerate_report(current_settings(), uid, reason, deliver)
    except ReportError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{uid}: version {version} made and signed; the site shows it after the next build")


@reports.command("resend")
@click.argument("uid")
def reports_resend(uid: str) -> None:
    """Queue the current version of UID's report for e-mail again (a failed or stuck one)."""
    from submit_api.reports.store import ReportError
    from submit_api.reports.admin import resend_report

    try:
        delivery = resend_report(current_settings(), uid)
    except ReportError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{uid}: delivery {delivery} queued; the worker sends it")


@reports.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--certificate", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="The portal's certificate (PEM), e.g. the site's "
              "/opendata/portal-certificate.pem [default: this portal's own].")
def reports_verify(file: Path, certificate: Path | None) -> None:
    """Check a downloaded report file: the PDF's signature, any file by the signed manifest
    beside it. Exit 1 when anything fails."""
    from submit_api.reports.admin import verify_download

    verdicts = verify_download(file, certificate, current_settings())
    for v in verdicts:
        what = "PDF signature" if v.kind == "pdf" else "signed SHA-256 manifest"
        if v.ok:
            click.echo(f"OK  {what}: {v.signer}" + (f", signed {v.signed_at}" if v.signed_at
                                                    else ""))
        else:
            click.echo(f"BAD {what}: " + "; ".join(v.problems))
    if not all(v.ok for v in verdicts):
        raise SystemExit(1)


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@content_option
@_path_option("--archive", "archive_dir", "INGEST_ARCHIVE",
              "Where received files are kept as they came.", file_okay=False)
@click.option("--build/--no-build", "rebuild", default=True, show_default=True,
              help="Build the whole site after a successful import.")
@output_option
@database_option
@click.pass_context
def import_(ctx: click.Context, file: Path, content_dir: Path | None, archive_dir: Path | None,
            rebuild: bool, output: Path | None, database: Path | None) -> None:
    """Import budget reporting (R4): a CSV, XLSX or JSON file of budget execution.

    The whole file is refused when any row is wrong; nothing is published then."""
    from ashyq.budget import BudgetFileInvalid, import_budget_file, read_administrators

    content_dir = place(content_dir, "CONTENT")
    archive_dir = place(archive_dir, "INGEST_ARCHIVE")
    try:
        administrators = read_administrators(content_dir)
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot read the administrators of {content_dir}: {exc}") from exc
    try:
        result = import_budget_file(file, file.name, content_dir, archive_dir, administrators,
                                    system="cli")
    except BudgetFileInvalid as exc:
        raise click.ClickException(f"{file}: refused, nothing was published.\n{exc}") from exc
    click.echo(f"imported {result.period}: {result.rows} rows of {result.administrators} "
               f"administrators into {result.dataset_path}"
               f"{' (replacing the earlier dataset)' if result.replaced else ''}; "
               f"file kept as {result.archive_path}")
    if rebuild:
        ctx.invoke(build, content_dir=content_dir, output=output, site_url=None,
                   database=database)


if __name__ == "__main__":
    main()
