"""The demo's history (``make run``, ``ashyq seed-demo``): on every discussion that has ended,
citizens sent proposals, the operator published two and refused one (R15), the state body
accepted one and rejected the other (R16), people voted (R11) and the final report was
generated (R17) — so a newcomer opens a closed discussion and sees a filled report.

Everything goes through the library the service itself uses (``create_proposal``,
``moderate``, ``answer``, ``cast_vote``, ``grant``, ``generate_due_reports``), with the clock
pinned to the day each step happened. The actors are the demo signer's test identities
(``person1``..``person5``): person2 the operator, person3 an employee of each state body.
Idempotent: a discussion on which the demo people already wrote is left as it is.

DEVELOPMENT ONLY, like the demo signer it relies on.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from pathlib import Path

from ashyq import clock
from submit_api.identity import person_id

AUTHORS = ("person1", "person4", "person5")
OPERATOR, EMPLOYEE = "person2", "person3"

#: (language, part, text) of the three proposals on each ended discussion, the first part
#: that the document has is used when the named one is missing.
PROPOSALS = (
    ("ru", "final-results", "По программе «{program}»: предлагаю добавить показатель доли жителей "
                            "сельских населённых пунктов, получивших услугу, и публиковать его "
                            "значения по районам раз в квартал."),
    ("kk", "expenses", "«{program}» бағдарламасы бойынша: шығыстарды аудандар бойынша бөліп "
                       "көрсетуді ұсынамын, әр ауданға қанша қаражат бөлінгені және не сатып "
                       "алынғаны түсінікті болсын."),
    ("ru", "purpose", "Купите рекламу нашего магазина на странице программы «{program}», скидки "
                      "для всех читателей!"),
)
ANSWERS = (
    ("accept", {"ru": "Показатель будет включён в паспорт при следующем уточнении, "
                      "значения по районам будут публиковаться ежеквартально.",
                "kk": "Көрсеткіш келесі нақтылау кезінде паспортқа енгізіледі, "
                      "аудандар бойынша мәндері тоқсан сайын жарияланады."}),
    ("reject", {"ru": "Расходы утверждаются по бюджетной программе в целом; "
                      "разбивка по районам публикуется в отчёте об исполнении.",
                "kk": "Шығыстар бюджеттік бағдарлама бойынша тұтастай "
                      "бекітіледі; аудандар бойынша бөлу атқару туралы есепте жарияланады."}),
)
REFUSAL = (["advertising"],  # R15: a ground of paragraph 14 and the operator's words
           "Мәтін бағдарламаға қатысы жоқ қызметті жарнамалайды. / "
           "Текст рекламирует услугу, не связанную с программой.")


@contextlib.contextmanager
def pinned(moment: dt.datetime):
    """Run with ``clock.now()`` at ``moment`` (the demo replays past days)."""
    before = os.environ.get(clock.NOW_VARIABLE)
    os.environ[clock.NOW_VARIABLE] = moment.isoformat()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(clock.NOW_VARIABLE, None)
        else:
            os.environ[clock.NOW_VARIABLE] = before


def program_name(doc: dict, lang: str) -> str:
    """The program's name as the document's title quotes it («…»), else its code."""
    match = re.search(r"«(.+?)»", doc["title"].get(lang, ""))
    return match.group(1) if match else doc.get("program", doc["uid"])


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=clock.ALMATY)


def seed_demo(app, manifest_documents: list[dict], today: dt.date) -> int:
    """Give every discussion that ended before ``today`` its demo history; returns how many
    proposals were added (0 when the database was seeded before)."""
    from submit_api.db import get_db, transaction
    from submit_api.manifest import Manifest
    from submit_api.moderation import answer, moderate
    from submit_api.proposals import calendar, create_proposal
    from submit_api.reports.store import generate_due_reports
    from submit_api.staff import CLI_ACTOR, grant, roles_of
    from submit_api.store.proposals import documents_written_by
    from submit_api.store import votes as vote_store

    def cast_vote(target_type: str, target_id: str, person: str, value: str) -> None:
        """R11: the demo's votes, stored as the vote writer stores them."""
        with transaction(conn):
            vote_store.cast(conn, target_type, target_id, person, value,
                            clock.now().isoformat(timespec="seconds"))

    pki = app.extensions["ashyq_demo_pki"]
    key = app.config["IDENTITY_KEY"]
    who = {name: person_id(pki.leaf(name).iin, key) for name in (*AUTHORS, OPERATOR, EMPLOYEE)}
    ended = [d for d in manifest_documents
             if d.get("type") in ("passport", "implementation_report")
             and dt.date.fromisoformat(d["discussion_end"]) < today]
    manifest = Manifest(app.config["MANIFEST"])
    added = 0
    with app.app_context():
        conn = get_db()
        demo_authors = [who[a] for a in AUTHORS]
        seeded = documents_written_by(conn, demo_authors)
        ended = [d for d in ended if d["uid"] not in seeded]
        if not ended:
            return 0
        with pinned(_at(min([dt.date.fromisoformat(d["posted"]) for d in ended] or [today]), 9)):
            grant(conn, CLI_ACTOR, who[OPERATOR], "operator")
            for code in sorted({d["administrator"]["code"] for d in ended}):
                grant(conn, CLI_ACTOR, who[EMPLOYEE], "employee", code)
        decrees = app.config["DECREES"]
        for doc in ended:
            posted = dt.date.fromisoformat(doc["posted"])
            parts = [p["id"] for p in doc["parts"]]
            ids = []
            with pinned(_at(posted + dt.timedelta(days=1), 11)):
                for author, (lang, part, text) in zip(AUTHORS, PROPOSALS):
                    part = part if part in parts else parts[0]
                    due = calendar(decrees).moderation_due(clock.today())
                    body, _status = create_proposal(conn, who[author], doc["uid"], part, lang,
                                                    text.format(program=program_name(doc, lang)), due)
                    ids.append(body["id"])
                    added += 1
                for n, author in enumerate(AUTHORS):
                    cast_vote("document", doc["uid"], who[author], "against" if n == 2 else "for")
            with pinned(_at(posted + dt.timedelta(days=2), 10)):
                operator = roles_of(conn, who[OPERATOR])
                moderate(conn, ids[0], who[OPERATOR], operator, "publish", "complies")
                moderate(conn, ids[1], who[OPERATOR], operator, "publish", "complies")
                moderate(conn, ids[2], who[OPERATOR], operator, "refuse", *REFUSAL)
            with pinned(_at(posted + dt.timedelta(days=3), 15)):
                for n, author in enumerate(AUTHORS):
                    cast_vote("proposal", str(ids[0]), who[author], "for")
                    cast_vote("proposal", str(ids[1]), who[author], "against" if n else "for")
                employee = roles_of(conn, who[EMPLOYEE])
                for proposal_id, (decision, texts) in zip(ids, ANSWERS):
                    lang = PROPOSALS[ids.index(proposal_id)][0]
                    answer(conn, proposal_id, who[EMPLOYEE], employee, decision, texts[lang],
                           manifest, clock.today())
        with pinned(_at(today, 9)):
            generate_due_reports(conn, ended, today, Path(app.config["REPORTS_DIR"]))
    return added
