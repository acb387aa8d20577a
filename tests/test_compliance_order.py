"""Compliance covers the order (paragraphs 3, 4, 6, 7, 10, 12, 15-17): each check catches a
planted violation and passes a compliant example; ¶15-¶17 come from the public snapshot; a
content problem that stops the build is reported beside every other check."""
from __future__ import annotations

import datetime as dt

from click.testing import CliRunner

from portal.cli import main as cli
from generator.compliance import check
from generator.content import load_content
from tests.helpers import write_document, write_release, write_simple

TODAY = dt.date(2025, 12, 1)


def found(content, kind, snapshot=None, today=TODAY, **match):
    checks = [c for c in check(load_content(content, today), snapshot) if c.kind == kind]
    return [c for c in checks if all(getattr(c, k) == v for k, v in match.items())]


def test_p3_a_language_version_must_be_in_its_language(small_content):
    assert all(c.ok for c in found(small_content, "language_kk") + found(small_content, "language_ru"))
    path = small_content / "discussions" / "BP-2026-225-001" / "BP-2026-225-001.kk.md"
    russian = (small_content / "discussions" / "BP-2026-225-001" / "BP-2026-225-001.ru.md").read_text("utf-8")
    path.write_text(russian, encoding="utf-8")          # the "Kazakh" file is the Russian text
    [bad] = found(small_content, "language_kk", document="BP-2026-225-001")
    assert not bad.ok and bad.rule == "R3" and bad.detail == {"kazakh_letters": "0.0%"}
    other = small_content / "discussions" / "IR-2024-225-001" / "IR-2024-225-001.ru.md"
    kazakh = (small_content / "discussions" / "IR-2024-225-001" / "IR-2024-225-001.kk.md").read_text("utf-8")
    other.write_text(kazakh, encoding="utf-8")           # the "Russian" file is Kazakh
    assert not found(small_content, "language_ru", document="IR-2024-225-001")[0].ok


def test_p4_budget_reporting_without_gaps(small_content):
    for month in ("2025-08", "2025-10"):
        write_simple(small_content, "reporting", f"BR-{month}", "budget_reporting",
                     {"posted": f"{month}-14", "period": month, "administrator": "225"})
    checks = found(small_content, "budget_reporting") + found(small_content, "budget_reporting_missing")
    assert sorted((c.detail["period"], c.ok) for c in checks) == [
        ("2025-08", True), ("2025-09", False), ("2025-10", True), ("2025-11", False)]
    [september] = [c for c in checks if c.detail["period"] == "2025-09"]
    assert september.rule == "R4" and september.administrator == "225"
    assert september.due == dt.date(2025, 9, 30)


def test_p6_citizens_budget_at_each_stage(small_content):
    # 225 has a passport for 2026 (planning) and a report for 2024 (execution); the fixture's
    # citizen's budget is 2026 planning for the whole budget
    assert found(small_content, "citizens_budget_planning", administrator="225")[0].ok
    [execution] = found(small_content, "citizens_budget_execution", administrator="225")
    assert not execution.ok and execution.rule == "R6" and execution.detail == {"year": 2024}
    write_simple(small_content, "citizens-budget", "CB-2024-exec", "citizens_budget",
                 {"posted": "2025-03-01", "period": "2024", "stage": "execution", "administrator": "225"})
    assert found(small_content, "citizens_budget_execution", administrator="225")[0].ok


def test_p7_audit_results_posted_before_receipt(small_content):
    write_simple(small_content, "audit", "AUD-EARLY", "audit_results",
                 {"administrator": "225", "received": "2025-03-05", "posted": "2025-03-04",
                  "audit_body": "ЖАП"})
    [bad] = found(small_content, "audit_before_receipt")
    assert (bad.rule, bad.document, bad.due, bad.done) == ("R7", "AUD-EARLY", dt.date(2025, 3, 5),
                                                          dt.date(2025, 3, 4))


def test_p10_report_missing_for_last_years_passport(small_content):
    write_document(small_content, "BP-2024-261-007", admin="261", posted="2024-02-20",
                   extra={"budget_type": "local", "period": "2024-2026", "program": "007"})
    [missing] = found(small_content, "report_missing")
    assert (missing.rule, missing.administrator, missing.due) == ("R10", "261", dt.date(2025, 4, 1))
    assert missing.detail == {"year": 2024, "program": "007"}
    assert found(small_content, "report_missing", today=dt.date(2025, 4, 1)) == []  # not late yet
    write_document(small_content, "IR-2024-261-007", doc_type="implementation_report",
                   admin="261", posted="2025-03-20",
                   extra={"budget_type": "local", "period": "2024", "program": "007",
                          "investment_projects": "none",
                          "investment_projects_reason": "Программа не финансирует инвестиционные проекты"})
    assert found(small_content, "report_missing") == []


def test_p10_materials_must_be_documents_or_absence_explained(small_content):
    write_document(small_content, "IR-2024-225-003", doc_type="implementation_report",
                   posted="2025-03-14", extra={"period": "2024", "investment_projects": "none"})
    assert found(small_content, "materials_absent_without_reason", document="IR-2024-225-003")
    base = write_document(small_content, "IR-2024-225-004", doc_type="implementation_report",
                          posted="2025-03-14",
                          extra={"period": "2024", "attachments": "akt.pdf | Акт; bos.txt | Бос; foto.jpg | Фото; act.txt | Акт"})
    (base / "files").mkdir()
    (base / "files" / "akt.pdf").write_text("this is no PDF")      # named .pdf, is not
    (base / "files" / "bos.txt").write_text("   \n")               # blank
    (base / "files" / "foto.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 64)
    (base / "files" / "act.txt").write_text("Акт приемки объекта в эксплуатацию", encoding="utf-8")
    bad = found(small_content, "material_not_a_document", document="IR-2024-225-004")
    assert sorted(c.detail["file"] for c in bad) == ["akt.pdf", "bos.txt"]


def test_p12_release_by_the_administrator_giving_the_dates(small_content):
    # BP-2026-261-002: posted Fri 3 January 2025, ends 17 January
    write_release(small_content, "PR-261", "2025-01-03", "BP-2026-261-002", "225", {
        "kk": "Талқылау 2025 жылғы 3 қаңтардан 17 қаңтарға дейін өтеді.",
        "ru": "Обсуждение проходит с 3 января по 17 января 2025 года."})
    [other] = found(small_content, "press_release_other_body", document="BP-2026-261-002")
    assert (other.rule, other.administrator, other.detail["by"]) == ("R12", "261", "225")
    [dates] = found(small_content, "press_release_dates", document="BP-2026-261-002")
    assert dates.ok
    [undated] = found(small_content, "press_release_dates", document="BP-2026-225-001")
    assert not undated.ok and undated.detail["languages"] == "kk/ru"


def snapshot_facts(**facts):
    return {"publication": {}, "discussions": {"BP-2026-225-001": facts}}


def test_p15_p16_p17_from_the_public_snapshot(small_content):
    after_end = dt.date(2025, 3, 14)   # BP-2026-225-001 ended on Tuesday 11 March 2025
    snap = snapshot_facts(pending_due=["2025-03-13"], moderated_late=1, unanswered=2, report=None)
    [overdue] = found(small_content, "moderation_overdue", snap, after_end)
    assert (overdue.rule, overdue.ok, overdue.detail) == ("R15", False, {"pending": 1, "decided_late": 1})
    [unanswered] = found(small_content, "answered_by_end", snap, after_end, document="BP-2026-225-001")
    assert (unanswered.rule, unanswered.ok, unanswered.administrator) == ("R16", False, "225")
    [waiting] = found(small_content, "report_waiting", snap, after_end)
    assert waiting.ok and waiting.rule == "R17"   # the report waits for moderation: allowed
    none_pending = snapshot_facts(pending_due=[], moderated_late=0, unanswered=0, report=None)
    [late] = found(small_content, "report_formed", none_pending, after_end, document="BP-2026-225-001")
    assert not late.ok and late.due == dt.date(2025, 3, 12)
    formed = snapshot_facts(pending_due=[], moderated_late=0, unanswered=0,
                            report={"formed": "2025-03-12T08:00:00+05:00", "delivery": "failed",
                                    "delivered": None})
    [undelivered] = found(small_content, "report_delivered", formed, after_end, document="BP-2026-225-001")
    assert not undelivered.ok and undelivered.administrator == "225"


def test_a_content_problem_is_reported_beside_every_other_check(small_content, monkeypatch, tmp_path):
    monkeypatch.setenv("ASHYQ_NOW", "2025-12-01T10:00:00+05:00")
    base = write_document(small_content, "BP-2026-225-099")
    (base / "BP-2026-225-099.kk.md").unlink()                       # R3: stops the build
    write_simple(small_content, "audit", "AUD-EARLY", "audit_results",
                 {"administrator": "225", "received": "2025-03-05", "posted": "2025-03-04",
                  "audit_body": "ЖАП"})                               # R7: another violation
    out = CliRunner().invoke(cli, ["check", "--content", str(small_content),
                                   "--database", str(tmp_path / "none.sqlite3")])
    assert out.exit_code == 1
    assert "FAIL [R3] " in out.output and ": content problem" in out.output and "no kk version" in out.output
    assert "[R7] AUD-EARLY: audit before receipt" in out.output
    assert "[R12] BP-2026-261-002: press release missing" in out.output


def test_r3_letters_are_counted_as_unicode_names_them():
    """generator.letters counts with regular expressions over a precomputed set: that set is
    exactly the characters Python calls letters whose Unicode name says CYRILLIC."""
    import random
    import unicodedata

    from generator.letters import CYRILLIC_LETTERS, letter_counts
    named = {chr(c) for c in range(0x110000)
             if chr(c).isalpha() and "CYRILLIC" in unicodedata.name(chr(c), "")}
    assert CYRILLIC_LETTERS == named
    text = "Бюджеттік бағдарлама қаржыландыру, Ӛ ꙮ ᲀ Budget 2027 — әғқңөұүһі ӘҒҚҢӨҰҮҺІ!"
    cyrillic = [c for c in text if c in named]
    assert letter_counts(text) == (sum(c.isalpha() for c in text), len(cyrillic),
                                   sum(c in "әғқңөұүһіӘҒҚҢӨҰҮҺІ" for c in cyrillic))
    # counted by runs of letters: the same counts on texts mixing every script and sign
    # (and on Cyrillic with ASCII alone: what is left of those is counted without asking)
    rnd = random.Random(176)
    for i in range(600):
        mixed = "".join(chr(rnd.choice((rnd.randrange(0x400, 0x530), rnd.randrange(0x20, 0x80),
                                        rnd.randrange(0x110000))[:2 + i % 2]))
                        for _ in range(120))
        mixed = mixed.encode("utf-8", "replace").decode("utf-8")
        cyrillic = [c for c in mixed if c in named]
        assert letter_counts(mixed) == (sum(c.isalpha() for c in mixed), len(cyrillic),
                                        sum(c in "әғқңөұүһіӘҒҚҢӨҰҮҺІ" for c in cyrillic))


def test_the_year_of_a_period_is_its_first_four_decimal_digits():
    # R6, R10: a citizen's budget and a report are matched to passports by this year
    from types import SimpleNamespace

    from generator.compliance_order import _year

    def year(period):
        return _year(SimpleNamespace(meta={"kk": {"period": period}}))
    assert [year(p) for p in ("2025", "2025-07", "2025Q1", "٢٠٢٥-01")] == [2025, 2025, 2025, 2025]
    assert [year(p) for p in ("", "202", "25-2025", "2O25", "²⁰²⁵", " 2025")] == [None] * 6
    assert _year(SimpleNamespace(meta={"kk": {}})) is None
