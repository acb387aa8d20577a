"""Document pages show the public snapshot: published proposals per part, answers, totals."""
import datetime as dt
import json

from generator.build import build
from tests.helpers import SNAPSHOT



def test_published_proposals_answers_and_totals_on_the_page(small_content, tmp_path):
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text(json.dumps(SNAPSHOT, ensure_ascii=False), encoding="utf-8")
    site = tmp_path / "out"
    build(small_content, site, cache_dir=tmp_path / "cache", today=dt.date(2025, 3, 7),
          snapshot=snapshot)
    html = (site / "ru/discussions/BP-2026-225-001/index.html").read_text(encoding="utf-8")
    objectives = html.split('id="part-objectives"')[1].split("</section>")[0]
    assert "Добавить задачу по сельским школам." in objectives
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in objectives and "<script>alert" not in html
    assert "Принято, задача будет добавлена." in objectives and "Принято государственным органом" in objectives
    purpose = html.split('id="part-purpose"')[1].split("</section>")[0]
    assert "Мақсатты нақтылау керек." in purpose and "Ожидает ответа государственного органа" in purpose
    assert 'data-total="for">12<' in html and 'data-total="against">3<' in html
    assert 'data-ptotal="for">5<' in html
    kk = (site / "kk/discussions/BP-2026-225-001/index.html").read_text(encoding="utf-8")
    assert "Мемлекеттік орган қабылдады" in kk
